/**
 * No browser code calls into a `.server` module. The Remix compiler empties
 * such modules in the browser bundle, so a route component that calls one
 * renders on the server and crashes after hydration ("… is not a function";
 * issue 13: Delete your account with a stale sign-in). See
 * test/helpers/server-imports-in-client.ts for what is followed.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { serverValuesInClientCode } from "./helpers/server-imports-in-client.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function compilerOptions(root: string): ts.CompilerOptions {
  const read = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  return ts.parseJsonConfigFileContent(read.config, ts.sys, root).options;
}

/** Every route module of the app and root.tsx, as Remix's flat routes find them. */
function routeModules(root: string): string[] {
  const dir = path.join(root, "app", "routes");
  const routes = readdirSync(dir)
    .filter((f) => /\.(ts|tsx|js|jsx)$/.test(f) && !/\.test\.(ts|tsx)$/.test(f))
    .map((f) => path.join(dir, f));
  return [path.join(root, "app", "root.tsx"), ...routes];
}

describe("browser code and .server modules", () => {
  it("no route's client code (component, ErrorBoundary, meta, module-level code) uses a value from a .server module", () => {
    const violations = serverValuesInClientCode(routeModules(ROOT), { root: ROOT, compilerOptions: compilerOptions(ROOT) });
    expect(violations.map((v) => `${v.at}: ${v.name} from ${v.from}, reached from ${v.via}`)).toEqual([]);
  }, 120_000);

  describe("the scan can fail", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "client-code-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
      return path.join(dir, rel);
    };
    write(
      "app/models/words.server.ts",
      `export type Refusal = "stale" | "other";
export const LIMIT = 10;
export function refusalMessage(r: Refusal): string { return r; }
export function onlyOnServer(): number { return 1; }
`,
    );
    write("app/models/words-barrel.ts", `export { refusalMessage as barrelMessage } from "./words.server.js";\n`);
    write("app/models/words.ts", `export function clientMessage(): string { return "fine"; }\n`);
    write(
      "app/components/helper.tsx",
      `import { refusalMessage } from "../models/words.server.js";
export function Helper() { return <p>{refusalMessage("other")}</p>; }
export function Unused() { return null; }
`,
    );
    const scan = (...routes: string[]) =>
      serverValuesInClientCode(routes, { root: dir, compilerOptions: compilerOptions(dir) }).map((v) => `${v.at} ${v.name} ← ${v.via}`);

    it("finds the original bug: a component calling the .server module's message function (settings.delete-account.tsx before the fix)", () => {
      const route = write(
        "app/routes/settings.delete-account.tsx",
        `import { useLoaderData } from "@remix-run/react";
import { LIMIT, refusalMessage, type Refusal } from "../models/words.server.js";
export async function loader() { return { fresh: Date.now() < LIMIT }; }
export async function action() { const r: Refusal = "other"; return { error: refusalMessage(r) }; }
export default function Page() {
  const { fresh } = useLoaderData<typeof loader>();
  return fresh ? <form /> : <p>{refusalMessage("stale")}</p>;
}
`,
      );
      expect(scan(route)).toEqual(["app/routes/settings.delete-account.tsx:7 refusalMessage ← app/routes/settings.delete-account.tsx export default"]);
    });

    it("follows helpers, other modules, re-exports, ErrorBoundary, meta and module-level code", () => {
      const route = write(
        "app/routes/reach.tsx",
        `import { LIMIT, onlyOnServer } from "../models/words.server.js";
import { barrelMessage } from "../models/words-barrel.js";
import { Helper } from "../components/helper.js";
const banner = onlyOnServer();
const fromLoad = build();
function build() { return { n: LIMIT }; }
function label() { return \`limit \${LIMIT} \${banner} \${fromLoad.n}\`; }
export const meta = () => [{ title: barrelMessage("other") }];
export function ErrorBoundary() { return <p>{label()}</p>; }
export default function Page() { return <Helper />; }
`,
      );
      expect(scan(route).sort()).toEqual(
        [
          "app/components/helper.tsx:2 refusalMessage ← app/routes/reach.tsx export default",
          "app/routes/reach.tsx:4 onlyOnServer ← app/routes/reach.tsx (module-level code)",
          "app/routes/reach.tsx:6 LIMIT ← app/routes/reach.tsx (module-level code)",
          "app/routes/reach.tsx:7 LIMIT ← app/routes/reach.tsx export ErrorBoundary",
          "app/routes/reach.tsx:8 barrelMessage ← app/routes/reach.tsx export meta",
        ].sort(),
      );
    });

    it("accepts server values used only by loaders and actions, types, locals that shadow an import, and client-safe modules", () => {
      const route = write(
        "app/routes/fine.tsx",
        `import { useLoaderData } from "@remix-run/react";
import { LIMIT, onlyOnServer, refusalMessage, type Refusal } from "../models/words.server.js";
import type { Refusal as R2 } from "../models/words.server.js";
import { clientMessage } from "../models/words.js";
const limitText = () => String(LIMIT);
// Kept in the browser bundle (a call), but it only holds the undefined values; only the action uses it.
const Form = schema({ max: LIMIT, check: refusalMessage, later: () => onlyOnServer() });
function schema<T>(shape: T) { return { parse: (v: unknown) => ({ v, shape }) }; }
export async function loader() { return { n: onlyOnServer(), limit: limitText() }; }
export async function action() { Form.parse(1); return { error: refusalMessage("other") }; }
export default function Page() {
  const data = useLoaderData<typeof loader>();
  const refusal: Refusal | R2 = "other";
  const onlyOnServer = () => refusal;
  return <p>{data.limit}{onlyOnServer()}{clientMessage()}</p>;
}
`,
      );
      expect(scan(route)).toEqual([]);
    });
  });
});
