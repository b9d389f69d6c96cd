-- wrk script for bench/: the request comes from environment variables, and done() prints
-- one machine-readable line with the latency percentiles (wrk reports microseconds).
--   BENCH_METHOD   GET, POST, ...
--   BENCH_BODY     the request body (may be empty)
--   BENCH_HEADERS  "Name: value" lines separated by newlines

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
end
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name ~= nil then
    wrk.headers[name] = value
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "errors_connect": %d, "errors_read": %d, '
      .. '"errors_write": %d, "errors_timeout": %d, "errors_status": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write,
    errors.timeout, errors.status))
end
