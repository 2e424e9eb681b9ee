-- wrk script for bench/gateway/run: POSTs the body in the file named by BENCH_BODY (headers come
-- from wrk's -H flags) and prints one machine-readable line when the run ends.
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.0f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
