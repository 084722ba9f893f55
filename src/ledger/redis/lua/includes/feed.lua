--[[
  The one way a script appends to a sale's feed stream (`--- @include
  "includes/feed"`): XADD with MAXLEN ~, so a feed keeps at least its last
  FEED_MAX_EVENTS entries and Redis trims the oldest in whole stream nodes
  (stream-node-max-entries, 100 by default) at no cost per call.

  FEED_MAX_EVENTS is the setting of that name, written in when the scripts
  are loaded (src/ledger/redis/scripts.ts): a deployment constant, the same
  for every call, so it is not an ARGV of each feed-writing script.
]]
local FEED_MAX_EVENTS = '__FEED_MAX_EVENTS__'

local function feedAdd(feedKey, ...)
  return redis.call('XADD', feedKey, 'MAXLEN', '~', FEED_MAX_EVENTS, '*', ...)
end
