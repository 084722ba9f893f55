--[[
  Reserves one ticket, atomically: the whole check-and-take runs as one step.

  KEYS[1] sale hash      {id,name,total,sold,paid,perUserLimit,holdSeconds,opensAt,closesAt,createdAt}
  KEYS[2] buyers hash    userId -> tickets held
  KEYS[3] orders hash    orderId -> order JSON
  KEYS[4] requests hash  requestKey -> orderId (makes retries and Idempotency-Key replays safe)
  KEYS[5] holds zset     orderId scored by expiresAt (the expiry sweeper's index)
  KEYS[6] feed stream    one entry per order state change
  KEYS[7] tickets-due set  orderIds paid whose ticket the issuer has not yet recorded
  KEYS[8] passes zset    queue sales: spent pass ids (admitted places), scored by place

  ARGV[1] userId         already validated: 1-64 of A-Z a-z 0-9 _ -
  ARGV[2] requestKey     "k:<Idempotency-Key>" (sent by the client or made by the worker)
  ARGV[3] orderId        the id a new order gets
  ARGV[4] now            epoch milliseconds
  ARGV[5] passPlace      queue sales: the pass's id (its admitted place), "" when none was sent
  ARGV[6] passExpiresAt  queue sales: the pass's expiry, epoch milliseconds ("" when none)

  Returns {outcome, ...fields}; the outcome names and their fields are the
  `reserve` table of src/ledger/outcomes.ts:
    {'reserved', orderJson, sold, total, nextReleaseAt}
                                          state "reserved" with a hold, or "paid" when holdSeconds is 0;
                                          nextReleaseAt as for sold_out when this sold the last ticket
                                          (the worker that sold it answers the next buyers itself), else 0
    {'replayed', orderJson}               this requestKey already made an order
    {'sold_out', total, nextReleaseAt}    sold >= total; nextReleaseAt is the earliest pending
                                          hold's expiresAt (the holds zset's first entry), 0 when none
    {'limit_reached', perUserLimit}       the buyer already holds perUserLimit tickets
    {'not_found'}                         no such sale, or a train (its seats sell per trip: reserveTrip)
    {'not_open', opensAt}                 not open yet
    {'closed', closesAt}                  closed
    {'key_reused'}                        requestKey belongs to another buyer
    {'pass_required'}                     a queue sale, and no pass was sent
    {'pass_expired'}                      the pass ran out (now >= passExpiresAt)
    {'pass_used'}                         the pass already bought a ticket (one pass buys once)
]]
--- @include "includes/reservations"
local sale = KEYS[1]
local userId = ARGV[1]
local requestKey = ARGV[2]
local now = tonumber(ARGV[4])

local fields = redis.call('HMGET', sale, 'total', 'sold', 'perUserLimit', 'opensAt', 'closesAt', 'holdSeconds', 'id', 'admission', 'seats')
if not fields[1] or fields[9] then
  return {'not_found'}
end

local refusal = replayOf(userId, requestKey) or outsideWindow(fields[4], fields[5], now)
if refusal then
  return refusal
end

-- A queue sale sells only to pass holders; the pass is spent in this same
-- step as the reservation, so one pass buys once across workers and boxes.
local passPlace = ARGV[5]
if fields[8] then
  if passPlace == '' then
    return {'pass_required'}
  end
  if now >= tonumber(ARGV[6]) then
    return {'pass_expired'}
  end
  if redis.call('ZSCORE', KEYS[8], passPlace) then
    return {'pass_used'}
  end
end

local total = tonumber(fields[1])
local sold = tonumber(fields[2])
-- The seed checked total >= sold and so sold total + 1; strictly less is right.
-- >=, not ==: an operator may lower total down to sold, never below, but be safe.
if sold >= total then
  return {'sold_out', total, nextReleaseAt()}
end

refusal = overLimit(userId, fields[3])
if refusal then
  return refusal
end

local order = { orderId = ARGV[3], saleId = fields[7], userId = userId, createdAt = now, updatedAt = now }
local json
json, sold = recordNewOrder(order, tonumber(fields[6]), requestKey, now)
if fields[8] then
  redis.call('ZADD', KEYS[8], passPlace, passPlace)
end
-- The last ticket: the worker that sold it turns the next buyers away itself,
-- and tells them when a hold may bring one back.
return {'reserved', json, sold, total, sold >= total and nextReleaseAt() or 0}
