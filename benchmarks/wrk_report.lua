-- wrk script for bench_service.py: optionally POST a body with a bearer key, and print
-- the run's figures as one JSON line (latencies in microseconds) for the benchmark.
--
--   wrk -s wrk_report.lua URL                 GET URL (the /healthz floor)
--   wrk -s wrk_report.lua URL -- BODY_FILE    POST the file's bytes as application/json,
--                                             with Authorization: Bearer $FLUOROCODE_BENCH_KEY
--
-- The key comes from the environment, not the command line, so `ps` does not show it.

function init(args)
   if args[1] then
      local f = assert(io.open(args[1], "rb"))
      wrk.method = "POST"
      wrk.body = f:read("*a")
      f:close()
      wrk.headers["Content-Type"] = "application/json"
      wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("FLUOROCODE_BENCH_KEY"))
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, ' ..
      '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, e.status,
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
