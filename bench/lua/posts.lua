-- wrk script for the queue cell: POSTs {"userId": ...} to one path, a
-- different buyer each time, until a quota, then stops and says so on stderr
-- (the answers in flight at the stop are lost; the driver counts them as
-- sent less answered).
-- Arguments (after --): <path> <quota> <id prefix> <first id> [<lines file>]
--   without a lines file, request n is buyer <id prefix><first id + n - 1>;
--   with one, request n is its line n, "<userId> <pass>", sent with the
--   pass in the spike-pass header (purchases with passes).
-- done() prints one JSON line: the statuses and latency quantiles (µs).

local threads = {}
counter = 0
limit = 0
local path = "/"
local prefix = "u"
local first = 0
local lines = nil
local stopped = false
-- wrk calls request() once on the first thread's state before any connection
-- opens (script_verify_request) and never sends it: that call gets an
-- uncounted probe (a GET this route answers 405, which response() skips).
local firstCall = true

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  limit = tonumber(args[2] or "0")
  prefix = args[3] or prefix
  first = tonumber(args[4] or "0")
  if args[5] and #args[5] > 0 then
    lines = {}
    for line in io.lines(args[5]) do
      if #line > 0 then table.insert(lines, line) end
    end
  end
end

local function probe()
  return wrk.format("GET", path)
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
  counter = counter + 1
  local headers = { ["Content-Type"] = "application/json" }
  local userId
  if lines then
    local line = lines[((counter - 1) % #lines) + 1]
    local sep = string.find(line, " ", 1, true)
    userId = string.sub(line, 1, sep - 1)
    headers["spike-pass"] = string.sub(line, sep + 1)
  else
    userId = prefix .. string.format("%d", first + counter - 1)
  end
  return wrk.format("POST", path, headers, '{"userId":"' .. userId .. '"}')
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
