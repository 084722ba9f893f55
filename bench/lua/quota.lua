-- What the quota scripts (checkins.lua, posts.lua) share: send up to a quota
-- of counted requests, then stop and say so on stderr; count the answers by
-- status; print one JSON line of figures in done(). Loaded with require from
-- the script's own folder.
--
-- wrk calls request() once on the first thread's state before any connection
-- opens, to check the script (script_verify_request), and never sends what it
-- returns: that call gets an uncounted probe, a GET to the script's path that
-- the route answers 405 and response() skips. So do the calls past the quota.
-- The answers in flight at the stop are lost; the driver counts them as sent
-- less answered.
local M = {}

-- Globals, so done() can read each thread's through thread:get().
counter = 0
limit = 0
statuses = {}

local stopped = false
local firstCall = true
local probePath = "/"

function M.probeTo(path)
  probePath = path
end

-- The probe when this call must send no counted request; nil otherwise, the request counted.
function M.next()
  if firstCall then
    firstCall = false
    return wrk.format("GET", probePath)
  end
  if limit ~= 0 and counter >= limit then
    if not stopped then
      stopped = true
      io.stderr:write("quota-reached\n")
      io.stderr:flush()
      wrk.thread:stop()
    end
    return wrk.format("GET", probePath)
  end
  counter = counter + 1
  return nil
end

function M.response(status)
  if status == 405 then return end
  statuses[status] = (statuses[status] or 0) + 1
end

local quantiles = { 50, 90, 99, 99.9 }

function M.done(threads, summary, latency)
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

return M
