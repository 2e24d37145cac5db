-- wrk script of the Portunus benchmark: one request shape per run, from the environment
-- (so every subject — Portunus, the ceiling, the peer — gets the same script):
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    urlencoded form body (sets Content-Type: application/x-www-form-urlencoded)
--   BENCH_AUTH    Authorization header value (e.g. "Basic …")
--   BENCH_PROOFS  file of DPoP proofs, one sent per request (cc_dpop)
-- Errors: wrk counts socket errors and every response with status >= 400; none of the
-- benchmarked endpoints answers 3xx, and bench/run checks one response of each request
-- shape (status 200 and its content) before the load starts. `done` prints one line,
-- "BENCH_JSON {…}", that bench/run parses (latencies in microseconds).
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

-- BENCH_PROOFS: a file of DPoP proofs (bench/dpop_proofs.py), one per line; each
-- request sends the next one in a `DPoP` header (a proof works once: RFC 9449 §11.1).
local proofs_file = os.getenv("BENCH_PROOFS")
if proofs_file ~= nil and proofs_file ~= "" then
  local proofs, next_proof = {}, 0
  for line in io.lines(proofs_file) do
    proofs[#proofs + 1] = line
  end
  request = function()
    next_proof = next_proof % #proofs + 1
    wrk.headers["DPoP"] = proofs[next_proof]
    return wrk.format()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, socket_errors,
    e.status + socket_errors, latency:percentile(50), latency:percentile(99),
    latency.max, latency.mean))
end
