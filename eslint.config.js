// ESLint (flat config): typescript-eslint's recommended rules, React hooks, and
// the layer rules of docs/decisions/001-layers.md as import restrictions.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

// Type-only imports cross layers freely: they vanish at build time.
const layer = (files, group, message, { typesToo = [] } = {}) => ({
  files,
  rules: {
    "@typescript-eslint/no-restricted-imports": [
      "error",
      { patterns: [{ group, message, allowTypeImports: true }, ...(typesToo.length ? [{ group: typesToo, message, allowTypeImports: false }] : [])] },
    ],
  },
});

export default tseslint.config(
  { ignores: ["build/**", "public/build/**", ".data/**", ".cache/**", "node_modules/**", "test/fixtures/histories/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Input validation here looks for control characters on purpose (NUL, C0) in hostile text.
      "no-control-regex": "off",
      // tsc (noUnusedLocals/Parameters) already reports these, with the same `_` convention.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  // React's rules where React runs; elsewhere a `use…` function is not a hook (the test suite's useSuite).
  // The two classic rules: the plugin's React Compiler rules assume a compiler this app does not use.
  {
    files: ["app/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
  },
  // Kysely's own advice: migrations see the database as it was then, not today's schema type.
  { files: ["db/migrations/**", "db/migrate.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  // Tests read untyped JSON answers and poke at them.
  { files: ["test/**", "**/*.test.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  layer(
    ["app/routes/**"],
    ["kysely", "@temporalio/*", "**/temporal/*"],
    "Routes parse, require, then call a presenter (reads) or a service (writes): no database, no Temporal here.",
    // Not even types: a route takes the shapes it renders from its presenter.
    { typesToo: ["**/db/*"] },
  ),
  layer(["app/models/**"], ["**/temporal/*", "@temporalio/*", "**/services/*"], "Models are tables only: they never call Temporal or a service."),
  layer(["app/presenters/**"], ["**/services/*", "**/temporal/start*"], "Presenters read; writes belong to services."),
  layer(["activities/**"], ["kysely"], "Activities are thin: they call models and services, no SQL."),
  layer(
    ["workflows/**"],
    ["../app/*", "../db/*", "../activities/*", "../server/*", "kysely", "pg", "node:*", "@temporalio/client", "@temporalio/worker", "@temporalio/activity"],
    "Workflows import only @temporalio/workflow, their own shared definitions and types.",
  ),
  layer(["app/components/**"], ["**/*.server*", "**/db/*", "!**/db/schema*", "kysely", "@temporalio/*"], "Components run in the browser: no server modules."),
);
