-- wrk script of `npm run bench:usage` (bench/usage-bench.ts). From the environment
-- (so no key is on a command line):
--   USAGE_MODE  "post": POST /v1/usage, amount_cents 1, a new idempotency_key on
--               every request, the key of a random one of USAGE_KEYS each time;
--               "get": GET /v1/account with the first of USAGE_KEYS.
--   USAGE_KEYS  API keys, comma-separated.
--   USAGE_TAG   makes this run's idempotency keys unique across runs.
-- The summary is one JSON line on stdout, with every status code counted (post).

local mode = os.getenv("USAGE_MODE") or "post"
local tag = os.getenv("USAGE_TAG") or "run"
local keys = {}
for k in string.gmatch(os.getenv("USAGE_KEYS") or "", "[^,]+") do
  keys[#keys + 1] = k
end

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end

if mode == "get" then
  wrk.method = "GET"
  wrk.path = "/v1/account"
  wrk.headers["Authorization"] = "Bearer " .. keys[1]
else
  local n = 0
  counts = {}
  local headers = { ["Content-Type"] = "application/json" }

  function init(args)
    math.randomseed(os.time() + (tid or 0) * 7919)
  end

  function request()
    n = n + 1
    headers["Authorization"] = "Bearer " .. keys[math.random(#keys)]
    local body = '{"amount_cents":1,"idempotency_key":"' .. tag .. "-" .. (tid or 0) .. "-" .. n .. '"}'
    return wrk.format("POST", "/v1/usage", headers, body)
  end

  function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
  end
end

done = function(summary, latency, requests)
  local statuses = {}
  if mode ~= "get" then
    local total = {}
    for _, t in ipairs(threads) do
      for status, count in pairs(t:get("counts") or {}) do
        total[status] = (total[status] or 0) + count
      end
    end
    for status, count in pairs(total) do
      statuses[#statuses + 1] = string.format('"%d":%d', status, count)
    end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"non2xx":%d,"errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout, table.concat(statuses, ",")))
end
