-- wrk script for the tickets bench: gates checking tickets in.
-- Arguments (after --): <tickets file> <auth token> <quota>
--   counted request n posts {"ticket": line ((n-1) mod count) + 1, "gate": "g<thread>"}
--   to /api/checkins, so a quota of k * count checks every ticket in k times.
-- The quota, the probes and the figures are quota.lua's.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local quota = require("quota")

local threads = {}
local tickets = {}
local token = ""

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
  quota.probeTo("/api/checkins")
end

function request()
  local probe = quota.next()
  if probe then return probe end
  local ticket = tickets[((counter - 1) % #tickets) + 1]
  return wrk.format("POST", "/api/checkins", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"ticket":"' .. ticket .. '","gate":"g' .. tostring(tid) .. '"}')
end

function response(status)
  quota.response(status)
end

function done(summary, latency, requests)
  quota.done(threads, summary, latency)
end
