/** `npm run build`, second step: bundle the workflow code for the workers (see server/workflow-bundle.ts). */
import path from "node:path";
import { writeWorkflowBundle } from "../server/workflow-bundle.js";

const out = await writeWorkflowBundle();
process.stdout.write(`workflow bundle written to ${path.relative(process.cwd(), out)}\n`);
