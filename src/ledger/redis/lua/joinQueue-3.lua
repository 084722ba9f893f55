--[[
  Joins a queue sale's line, O(1): a set-if-absent of the buyer and one
  counter, in one step. The same buyer joining again gets the same entry.

  KEYS[1] sale hash       admission JSON, opensAt, closesAt; the line's counters qPre, qPost, qDrawn
  KEYS[2] members hash    userId -> "<pre 0|1>:<number>"
  KEYS[3] challenge key   the proof-of-work challenge spent on this join (kept until it expires)

  ARGV[1] userId          already validated
  ARGV[2] now             epoch milliseconds
  ARGV[3] challengeExpiresAt  epoch milliseconds; "" when the sale needs no proof of work

  Returns {outcome, ...fields}; the `join` table of src/ledger/outcomes.ts:
    {'joined', pre, number}    a new entry: number in the pre-queue (pre 1) or behind it (pre 0)
    {'rejoined', pre, number}  the buyer's existing entry
    {'not_found'}              no such sale
    {'not_queue'}              the sale admits buyers directly (admission mode open)
    {'closed', closesAt}       the sale closed
    {'challenge_used'}         this proof-of-work challenge was already spent
]]
local sale = KEYS[1]
local userId = ARGV[1]
local now = tonumber(ARGV[2])

local f = redis.call('HMGET', sale, 'id', 'admission', 'opensAt', 'closesAt', 'qDrawn')
if not f[1] then
  return {'not_found'}
end
if not f[2] then
  return {'not_queue'}
end

local earlier = redis.call('HGET', KEYS[2], userId)
if earlier then
  local pre, number = string.match(earlier, '^(%d):(%d+)$')
  return {'rejoined', tonumber(pre), tonumber(number)}
end

local closesAt = tonumber(f[4])
if closesAt and now >= closesAt then
  return {'closed', closesAt}
end

if ARGV[3] ~= '' then
  if not redis.call('SET', KEYS[3], '1', 'NX', 'PXAT', ARGV[3]) then
    return {'challenge_used'}
  end
end

-- Before opening, the pre-queue; once the sale has opened (by this caller's
-- clock or any earlier one's: qDrawn), behind it, first come first served.
local opensAt = tonumber(f[3])
local pre = 0
if opensAt and now < opensAt and f[5] ~= '1' then
  pre = 1
else
  redis.call('HSET', sale, 'qDrawn', '1')
end
local number = redis.call('HINCRBY', sale, pre == 1 and 'qPre' or 'qPost', 1) - 1
redis.call('HSET', KEYS[2], userId, pre .. ':' .. number)
return {'joined', pre, number}
