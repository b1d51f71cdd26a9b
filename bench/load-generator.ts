/**
 * The load generator of `npm run bench:load`, in a process of its own: the
 * script that starts, confirms and approves the workflows must not share an
 * event loop with it, or every pause there would count as the API being slow
 * (autocannon is a closed loop: a connection sends its next request only after
 * handling the answer). Input by environment, so the API key is not on a
 * command line; prints "started", then the result as one JSON line.
 */
import autocannon from "autocannon";

const { LOAD_URL, LOAD_AUTHORIZATION, LOAD_CONNECTIONS, LOAD_SECONDS } = process.env;
if (!LOAD_URL || !LOAD_AUTHORIZATION || !LOAD_CONNECTIONS || !LOAD_SECONDS) {
  process.stderr.write("load-generator: LOAD_URL, LOAD_AUTHORIZATION, LOAD_CONNECTIONS and LOAD_SECONDS are required\n");
  process.exit(2);
}
process.stdout.write("started\n");
const result = await autocannon({
  url: LOAD_URL,
  connections: Number(LOAD_CONNECTIONS),
  pipelining: 1,
  duration: Number(LOAD_SECONDS),
  timeout: 10,
  headers: { Authorization: LOAD_AUTHORIZATION },
});
// The same line bench/wrk-report.lua prints for wrk.
const report = {
  requests: result.requests.total,
  durationUs: result.duration * 1e6,
  p99Us: result.latency.p99 * 1000,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
