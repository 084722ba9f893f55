-- wrk script for the queue cell: POSTs {"userId": ...} to one path, a
-- different buyer each time, up to a quota.
-- Arguments (after --): <path> <quota> <id prefix> <first id> [<lines file>]
--   without a lines file, counted request n is buyer <id prefix><first id + n - 1>;
--   with one, it is line n, "<userId> <pass>", the pass sent in the
--   spike-pass header (purchases with passes).
-- The quota, the probes and the figures are quota.lua's.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path
local quota = require("quota")

local threads = {}
local path = "/"
local prefix = "u"
local first = 0
local lines = nil

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
  quota.probeTo(path)
end

function request()
  local probe = quota.next()
  if probe then return probe end
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

function response(status)
  quota.response(status)
end

function done(summary, latency, requests)
  quota.done(threads, summary, latency)
end
