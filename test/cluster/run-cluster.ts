/**
 * `npm run test:cluster`: the fault run of `npm run test:faults` (test/faults/run.ts: the same
 * scenario, faults and invariants) against the production shape instead of the all-in-one one:
 *
 * - the real Temporal server v1.29.1 (dev/temporal-server.ts), its frontend, history, matching and
 *   worker services each in its own process (CLUSTER_TEMPORAL_PROCESSES=one: all in one), on
 *   PostgreSQL — the `temporal` and `temporal_visibility` databases of the same embedded PostgreSQL
 *   the app uses, SQL advanced visibility (AccountId, TicketId), 4 history shards;
 * - two web processes (every HTTP request of the scenario goes to the next in turn: usage debits,
 *   Stripe's webhooks) and two workers, SIGKILLed at random moments (one at a time; the kill between a
 *   charge and its ledger entry hits the worker running that activity);
 * - PostgreSQL restarted once (the Temporal services lose their database too and must recover by
 *   themselves), and the Temporal service restarted once (every service process stopped cleanly and
 *   started again on the same ports and databases).
 *
 * Then the invariants of test:faults: every workflow completed, balances unchanged and equal to the
 * ledger, one transfer pair per ticket, deleted accounts erased, no email twice, one charge at Stripe
 * and one ledger entry per recharge, redelivered webhooks handled once; plus every web served
 * requests, no web, worker or Temporal process exited by itself.
 *
 * The same counts as test:faults (50 transfers, 50 deletions, 6 recharges, ≥ 20 kills, 2 of them
 * between a charge and its ledger entry): on 2 cores the run takes about 4 minutes, 5 with the build
 * (measured: 225 s for the run, under load from other work), well within the 10 it must stay under.
 * Lower them with the variables below if a slower machine needs it.
 *
 * Environment: CLUSTER_TRANSFERS (50), CLUSTER_DELETIONS (50), CLUSTER_RECHARGES (6),
 * CLUSTER_HELD_KILLS (2), CLUSTER_MIN_KILLS (20), CLUSTER_SEED (random; printed), CLUSTER_RAMP_SECONDS
 * (20), CLUSTER_DRAIN_SECONDS (200), CLUSTER_PG_DOWN_SECONDS (6), CLUSTER_TEMPORAL_DOWN_SECONDS (3),
 * CLUSTER_WEBS (2), CLUSTER_WORKERS (2), CLUSTER_TEMPORAL_PROCESSES (per-service | one),
 * CLUSTER_VERBOSE=1 (the children's output, the Temporal server's warnings), CLUSTER_ALLOW_DOCUMENTED_DUPLICATES
 * (1; see run-faults.ts). The Temporal server is found or built as dev/temporal-server.ts says:
 * TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH, TEMPORAL_SCHEMA_DIR, else built with Go.
 *
 * Exit code: 0 when every invariant held, 1 on any violation, 2 on bad settings.
 */
import { intFromEnv } from "../../dev/int-from-env.js";
import { runFaultsScript } from "../faults/run.js";
import { TemporalCluster } from "./temporal-cluster.js";

const processes = process.env.CLUSTER_TEMPORAL_PROCESSES ?? "per-service";
if (processes !== "per-service" && processes !== "one") {
  console.error(`CLUSTER_TEMPORAL_PROCESSES must be "per-service" or "one", not ${JSON.stringify(processes)}`);
  process.exit(2);
}
const verbose = process.env.CLUSTER_VERBOSE === "1";

await runFaultsScript({
  name: "cluster",
  transfers: intFromEnv("CLUSTER_TRANSFERS", 50, 0),
  deletions: intFromEnv("CLUSTER_DELETIONS", 50, 0),
  recharges: intFromEnv("CLUSTER_RECHARGES", 6, 0),
  heldKills: intFromEnv("CLUSTER_HELD_KILLS", 2, 0),
  minKills: intFromEnv("CLUSTER_MIN_KILLS", 20, 0),
  seed: intFromEnv("CLUSTER_SEED", Math.floor(Math.random() * 2 ** 31), 0),
  rampSeconds: intFromEnv("CLUSTER_RAMP_SECONDS", 20, 0),
  drainSeconds: intFromEnv("CLUSTER_DRAIN_SECONDS", 200, 1),
  pgDownSeconds: intFromEnv("CLUSTER_PG_DOWN_SECONDS", 6, 0),
  temporalDownSeconds: intFromEnv("CLUSTER_TEMPORAL_DOWN_SECONDS", 3, 0),
  verbose,
  allowDocumentedDuplicates: process.env.CLUSTER_ALLOW_DOCUMENTED_DUPLICATES !== "0",
  webs: intFromEnv("CLUSTER_WEBS", 2, 1),
  workers: intFromEnv("CLUSTER_WORKERS", 2, 1),
  temporal: async ({ pg, pgReady }) =>
    new TemporalCluster({
      pg,
      pgReady,
      processes,
      verbose,
      tools: { serverPath: process.env.TEMPORAL_SERVER_PATH, sqlToolPath: process.env.TEMPORAL_SQL_TOOL_PATH, schemaDir: process.env.TEMPORAL_SCHEMA_DIR },
      pathEnv: process.env.PATH,
    }),
});
