-- wrk script of `make bench`, the same for the real app and the bare app.
--
-- Arguments (after `--` on wrk's command line):
--   get                                    every request is the same GET of the URL's path
--   post <tag> <offset> <body> [<cookie>]  every request is a form POST with a new identity:
--        email  bench+<tag>-<counter>-<thread>@example.com
--        phone  +3247 and 7 digits from <offset> + <thread> * 100000 + <counter>
--        <body> is the urlencoded rest of the form (tokens and fixed fields), <cookie> the
--        session cookie the tokens belong to.
-- Each thread counts the status codes it sees; done() prints one line
--   BENCH_JSON {...}
-- with requests, duration, socket errors, latency percentiles (microseconds) and the statuses.

local threads = {}
local next_thread = 0

function setup(thread)
   thread:set("thread_id", next_thread)
   next_thread = next_thread + 1
   table.insert(threads, thread)
end

-- Globals of each thread's own Lua state (read back by done() through thread:get).
statuses = {}
thread_id = 0
local counter = 0
local mode, tag, offset, body, headers, fixed

function init(args)
   mode = args[1]
   if mode == "get" then
      fixed = wrk.format("GET")
      return
   end
   if mode ~= "post" then
      error("load.lua: first argument must be get or post, not " .. tostring(mode))
   end
   tag = args[2]
   offset = tonumber(args[3])
   body = args[4]
   headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
   if args[5] ~= nil and args[5] ~= "" then
      headers["Cookie"] = args[5]
   end
end

function request()
   if fixed ~= nil then
      return fixed
   end
   counter = counter + 1
   local digits = (offset + thread_id * 100000 + counter) % 10000000
   local form = body
      .. "&email=bench%2B" .. tag .. "-" .. counter .. "-" .. thread_id .. "%40example.com"
      .. "&phone=%2B3247" .. string.format("%07d", digits)
   return wrk.format("POST", nil, headers, form)
end

function response(status, _headers, _body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, _requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      local seen = thread:get("statuses")
      if seen ~= nil then
         for key, value in pairs(seen) do
            counts[key] = (counts[key] or 0) + value
         end
      end
   end
   local parts = {}
   for key, value in pairs(counts) do
      table.insert(parts, string.format('"%s": %d', key, value))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}, '
      .. '"statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max,
      table.concat(parts, ", ")))
end
