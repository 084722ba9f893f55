-- wrk script for the spike bench: each request carries a buyer id, a new one
-- except for <repeat percent> of requests, which reuse an id this thread sent
-- earlier (the buyer's second click), so the per-buyer limit is exercised.
-- Arguments (after --): <path prefix> <first id> <quota> <id stride per thread>
--   <threads> <repeat percent>
--   the n-th new id of thread t is <prefix><first + t*stride + n>.
-- response() counts statuses, so a 503 is told apart from the intended 409s,
-- and keeps the order id of every 201, for the audit to find in the ledger.
-- A thread stops once it has sent <quota>/threads requests (quota 0 = no limit)
-- and says so on stderr, so the driver can end the slice at once.
-- done() prints one JSON line: the counts, and latency quantiles (µs) that the
-- driver merges across slices.

local threads = {}
counter = 0
-- New ids sent (counter less the repeats); repeats reuse one of them.
fresh = 0
repeats = 0
limit = 0
local base = 0
local repeatPercent = 0
local prefix = "/buy/ticket?user=u"
local stopped = false

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or prefix
  local first = tonumber(args[2] or "0")
  local quota = tonumber(args[3] or "0")
  local stride = tonumber(args[4] or "1000000000")
  local nthreads = tonumber(args[5] or "1")
  repeatPercent = tonumber(args[6] or "0")
  base = first + tid * stride
  -- A fixed seed per thread: runs repeat the same buyers in the same places.
  math.randomseed(first + tid + 1)
  if quota > 0 then
    -- Spread the quota; the first threads take the remainder.
    limit = math.floor(quota / nthreads)
    if tid < quota % nthreads then limit = limit + 1 end
    if limit == 0 then limit = -1 end
  end
end

function request()
  if limit ~= 0 and counter >= limit and not stopped then
    stopped = true
    io.stderr:write("quota-reached\n")
    io.stderr:flush()
    wrk.thread:stop()
  end
  counter = counter + 1
  local id
  if fresh > 0 and math.random() * 100 < repeatPercent then
    repeats = repeats + 1
    id = base + math.random(1, fresh)
  else
    fresh = fresh + 1
    id = base + fresh
  end
  return wrk.format("GET", prefix .. string.format("%d", id))
end

statuses = {}
bought = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    bought[#bought + 1] = (body and body:match('"orderId":"([^"]*)"')) or "?"
  end
end

local quantiles = { 1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9, 99.99 }

function done(summary, latency, requests)
  local sent = 0
  local repeated = 0
  local parts = {}
  for _, thread in ipairs(threads) do
    local n = thread:get("counter") or 0
    sent = sent + n
    repeated = repeated + (thread:get("repeats") or 0)
    table.insert(parts, string.format("%d", n))
  end
  local orderIds = {}
  for _, thread in ipairs(threads) do
    for _, id in ipairs(thread:get("bought") or {}) do
      table.insert(orderIds, '"' .. id .. '"')
    end
  end
  local byStatus = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      byStatus[status] = (byStatus[status] or 0) + count
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
  io.write(string.format(
    '{"durationUs":%d,"responses":%d,"bytes":%d,"sent":%d,"repeats":%d,"boughtOrderIds":[%s],"sentPerThread":[%s],"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency":{"min":%d,"max":%d,"mean":%f,"quantiles":[%s]}}\n',
    summary.duration, summary.requests, summary.bytes, sent, repeated, table.concat(orderIds, ","), table.concat(parts, ","), table.concat(st, ","),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency.min, latency.max, latency.mean, table.concat(q, ",")))
end

