-- Cycles through a file of requests, one "METHOD PATH AUTH [BODY]" per line (tab-separated).
local lines = {}
local i = 0
local file = os.getenv("BENCH_REQUESTS")

function init(args)
  if file == nil or file == "" then return end
  for line in io.lines(file) do
    local method, path, auth, body = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)")
    table.insert(lines, { method = method, path = path, auth = auth, body = body })
  end
end

function request()
  if #lines == 0 then return wrk.format("GET", "/") end
  i = i % #lines + 1
  local r = lines[i]
  local headers = {}
  if r.auth ~= "" then headers["Authorization"] = r.auth end
  if r.body ~= nil and r.body ~= "" then
    headers["Content-Type"] = "application/json"
    return wrk.format(r.method, r.path, headers, r.body)
  end
  return wrk.format(r.method, r.path, headers)
end

-- BENCH_RATE: hold that many requests/s over all connections. Each request takes the next slot of
-- one shared schedule and waits for it; latency is measured from the write, as without pacing.
local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate ~= nil and rate > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *tp);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / rate
  local next_slot = nil

  function delay()
    local now = now_ms()
    -- Never bank more than a millisecond of slots: after a stall, go on at the rate, not in a burst.
    if next_slot == nil or next_slot < now - 1 then next_slot = now end
    next_slot = next_slot + interval
    local wait = next_slot - now
    if wait < 0 then return 0 end
    return wait
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status, summary.duration, latency:percentile(50), latency:percentile(99)))
end
