-- wrk script of the load tests. Each request carries the next signed-in user's session cookie (one per line in the
-- file named by $COOKIES; none for /healthz), or, with $REQUESTS (bench/province), is the next line of that file,
-- "path<TAB>cookie": a mix of pages. Any answer other than 200 counts as an error (an expired session would
-- otherwise pass as a fast redirect). The summary line gives the count, errors and p50/p95/p99 in milliseconds
-- for the drivers to read.
local cookies, lines = {}, {}
local file = os.getenv("COOKIES")
if file and file ~= "" then
  for line in io.lines(file) do cookies[#cookies + 1] = line end
end
local mix = os.getenv("REQUESTS")
if mix and mix ~= "" then
  for line in io.lines(mix) do
    local path, cookie = line:match("^([^\t]+)\t(.*)$")
    lines[#lines + 1] = { path, cookie }
  end
end
local threads = {}
local i = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 7919)
end

function init(args)
  not_ok = 0
  i = offset or 0
end

function request()
  i = i + 1
  if #lines > 0 then
    local r = lines[(i % #lines) + 1]
    return wrk.format("GET", r[1], { ["Cookie"] = r[2] })
  end
  if #cookies == 0 then return wrk.format("GET", wrk.path) end
  return wrk.format("GET", wrk.path, { ["Cookie"] = cookies[(i % #cookies) + 1] })
end

function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad = e.connect + e.read + e.write + e.timeout
  for _, t in ipairs(threads) do bad = bad + (t:get("not_ok") or 0) end
  io.write(string.format("RESULT n=%d errors=%d p50=%.2f p95=%.2f p99=%.2f seconds=%.3f\n",
    summary.requests, bad, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.duration / 1e6))
end
