-- wrk script of bench/run's database-outage step (issue 23): the token requests that
-- keep arriving while the database is away. Same request shape as request.lua (from
-- the environment), paced by BENCH_DELAY_MS per connection, and every answer counted by
-- status: during an outage the token endpoint must answer 503 at once (a bounded
-- connection queue and an open breaker), never hang and never answer otherwise.
-- `done` prints "BENCH_OUTAGE {…}" (latencies in microseconds).
dofile("bench/lua/request.lua")

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
delay = function()
  return delay_ms
end

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end

ok, unavailable, other = 0, 0, 0
response = function(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 503 then
    unavailable = unavailable + 1
  else
    other = other + 1
  end
end

done = function(summary, latency, requests)
  local counts = { ok = 0, unavailable = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(counts) do
      counts[key] = counts[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_OUTAGE {"requests":%d,"duration_us":%d,"ok":%d,"unavailable":%d,"other":%d,'
      .. '"socket_errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, counts.ok, counts.unavailable, counts.other,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50),
    latency:percentile(99), latency.max))
end
