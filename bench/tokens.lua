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

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status, summary.duration, latency:percentile(50), latency:percentile(99)))
end
