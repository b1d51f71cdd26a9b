/**
 * What the /v1 runtime reports about itself, for whoever counts it (the web
 * process's Prometheus registry, app/metrics/). The runtime calls these; it
 * never knows how they are kept, and without a registry nothing is kept.
 */
export interface UsageBatchObservation {
  /** Debits in the batch, and the distinct accounts they charge. */
  debits: number;
  accounts: number;
  /** The batch statement, from sending it to its answer after the commit (or the failure). */
  seconds: number;
  /** "failed": the batch's transaction failed and its debits were retried one by one. */
  outcome: "committed" | "failed";
}

export interface ApiMetrics {
  /** One usage-debit batch transaction ended. */
  usageBatch(o: UsageBatchObservation): void;
  /** A key verdict was answered from this process's cache (true) or looked up in the database (false). */
  verdictLookup(hit: boolean): void;
  /** Seconds between a change's commit and this process hearing of it on the change feed. */
  changeFeedLag(seconds: number): void;
}

export const NO_API_METRICS: ApiMetrics = {
  usageBatch() {},
  verdictLookup() {},
  changeFeedLag() {},
};
