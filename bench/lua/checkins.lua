-- wrk script for the tickets bench: gates checking tickets in.
-- Arguments (after --): <tickets file> <auth token> <quota>
--   request n posts {"ticket": line ((n-1) mod count) + 1, "gate": "g<thread>"}
--   to /api/checkins, so a quota of k * count checks every ticket in k times.
-- Stops at the quota and says so on stderr (as buyers.lua does); the answers
-- still in flight then are lost, and the driver counts them (sent less
-- answered). done() prints one JSON line with the statuses and latency
-- quantiles (µs).

local threads = {}
counter = 0
limit = 0
local tickets = {}
local token = ""
local stopped = false

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(tickets, line) end
  end
  token = args[2]
  limit = tonumber(args[3] or "0")
end

-- wrk calls request() once on the first thread's state before any connection
-- opens, to check the script (script_verify_request), and never sends what it
-- returns: that call gets an uncounted probe (GET, a 405 response() skips),
-- or the first check-in would be counted as sent and never be.
local firstCall = true
local function probe()
  return wrk.format("GET", "/api/checkins")
end

function request()
  if firstCall then
    firstCall = false
    return probe()
  end
  if limit ~= 0 and counter >= limit then
    if not stopped then
      stopped = true
      io.stderr:write("quota-reached\n")
      io.stderr:flush()
      wrk.thread:stop()
    end
    return probe()
  end
  local ticket = tickets[(counter % #tickets) + 1]
  counter = counter + 1
  return wrk.format("POST", "/api/checkins", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"ticket":"' .. ticket .. '","gate":"g' .. tostring(tid) .. '"}')
end

statuses = {}
function response(status)
  if status == 405 then return end
  statuses[status] = (statuses[status] or 0) + 1
end

local quantiles = { 50, 90, 99, 99.9 }

function done(summary, latency, requests)
  local byStatus = {}
  local sent = 0
  local answered = 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("counter") or 0)
    for status, count in pairs(thread:get("statuses") or {}) do
      byStatus[status] = (byStatus[status] or 0) + count
      answered = answered + count
    end
  end
  local st = {}
  for status, count in pairs(byStatus) do
    table.insert(st, string.format('"%d":%d', status, count))
  end
  local q = {}
  for _, p in ipairs(quantiles) do
    table.insert(q, string.format("[%s,%d]", tostring(p), latency:percentile(p)))
  end
  io.write(string.format('{"durationUs":%d,"responses":%d,"sent":%d,"statuses":{%s},"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"quantiles":[%s]}\n',
    summary.duration, answered, sent, table.concat(st, ","),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, table.concat(q, ",")))
end
