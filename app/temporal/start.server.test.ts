import { describe, expect, it } from "vitest";
import * as workflows from "../../workflows/index.js";
import { workflowTypeName } from "./start.server.js";

describe("workflowTypeName", () => {
  it("is the name each workflow is exported under, whatever the function is called after bundling", () => {
    for (const [name, fn] of Object.entries(workflows)) expect(workflowTypeName(fn)).toBe(name);
    // A bundler renames a function whose name collides (esbuild: unblockAccount → unblockAccount2).
    const renamed = Object.defineProperty(workflows.unblockAccount, "name", { value: "unblockAccount2" });
    expect(workflowTypeName(renamed)).toBe("unblockAccount");
  });

  it("refuses a function the worker does not run", () => {
    expect(() => workflowTypeName(async () => undefined)).toThrow(/workflows\/index\.ts/);
  });
});
