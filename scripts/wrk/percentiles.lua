-- wrk: prints one line after a run, the latency percentiles of every request in microseconds:
--   percentiles P50 P99 P99.9 MAX
-- Used alone (`wrk -s percentiles.lua URL`) or loaded by another script (see authorize-*.lua).
function done(summary, latency, requests)
  io.write(string.format("percentiles %d %d %d %d\n", latency:percentile(50),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
