/** What may name a workflow run in a console path or form: checked before anything reaches Temporal. */
import { isUuid } from "./ids.js";

/** Workflow ids are ours (`block-account:<uuid>` and the like); anything else cannot name one. */
const WORKFLOW_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

export const isWorkflowId = (s: string) => WORKFLOW_ID.test(s);
export const isRunId = isUuid;
