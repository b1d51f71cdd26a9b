import path from "node:path";
import { fileURLToPath } from "node:url";

/** The workflows entry the worker bundles. */
export const DEFAULT_WORKFLOWS_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../workflows/index.ts");
