/** Why staff block an account: codes stored on the request, labels shown in the console (client-safe). */
export const BLOCK_REASONS = {
  abuse: "Abuse or fraud",
  payment: "Payment problem",
  security: "Security (compromised account)",
  request: "The customer asked for it",
  transferred: "Transferred to a new account",
  other: "Other",
} as const;
export type BlockReason = keyof typeof BLOCK_REASONS;
export const BLOCK_REASON_CODES = Object.keys(BLOCK_REASONS) as [BlockReason, ...BlockReason[]];
