-- The load of `bench:serve --load wrk`: wrk POSTs N demo events per request as NDJSON, each with
-- a unique id ("<prefix>-<thread>-<n>") and `ts` set to the millisecond the body is built, as
-- the autocannon load of bench/serve.ts does. Arguments (after wrk's `--`): the file of event
-- templates (one JSON object a line without its `{`, `id` and `ts`), the events per request,
-- the id prefix and the bearer token. `done` prints one JSON line that bench/serve.ts reads.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } timeval_t;
  int gettimeofday(timeval_t *tv, void *tz);
]]
local tv = ffi.new("timeval_t")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + math.floor(tonumber(tv.tv_usec) / 1000)
end

local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local templates, per, prefix, headers
local seq = 0
function init(args)
  templates = {}
  for line in io.lines(args[1]) do
    if line ~= "" then templates[#templates + 1] = line end
  end
  per = tonumber(args[2])
  prefix = args[3] .. "-" .. tostring(tid) .. "-"
  headers = {
    ["Authorization"] = "Bearer " .. args[4],
    ["Content-Type"] = "application/x-ndjson",
  }
end

function request()
  local ts = tostring(now_ms())
  local parts = {}
  for i = 1, per do
    parts[i] = '{"id":"' .. prefix .. seq .. '","ts":' .. ts .. "," .. templates[seq % #templates + 1]
    seq = seq + 1
  end
  parts[per + 1] = ""
  return wrk.format("POST", nil, headers, table.concat(parts, "\n"))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"durationUs":%d,"requests":%d,"p50Us":%d,"p99Us":%d,"meanUs":%.1f,"maxUs":%d,' ..
      '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.duration, summary.requests, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
