-- wrk script of `npm run bench:load`: the Authorization header from the
-- environment (so the key is not on a command line), and the summary as one
-- JSON line for bench/load-bench.ts.
wrk.headers["Authorization"] = os.getenv("LOAD_AUTHORIZATION")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"p99Us":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
