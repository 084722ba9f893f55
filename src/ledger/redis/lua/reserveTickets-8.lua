--[[
  Reserves a batch of tickets of one sale, one order after another, each
  atomically and each exactly as if it were alone (includes/reserve-ticket):
  a worker sends the reservations that arrived while its previous call to
  this sale was in flight as one call (src/ledger/redis/script-batcher.ts),
  so a flood costs Redis one script call, one round trip and one reply per
  batch instead of per order. Orders in one batch see each other: a retry's
  second copy is 'replayed', a buyer's second ticket counts against the limit.

  KEYS[1] sale hash      {id,name,total,sold,paid,perUserLimit,holdSeconds,opensAt,closesAt,createdAt}
  KEYS[2] buyers hash    userId -> tickets held
  KEYS[3] orders hash    orderId -> order JSON
  KEYS[4] requests hash  requestKey -> orderId (makes retries and Idempotency-Key replays safe)
  KEYS[5] holds zset     orderId scored by expiresAt (the expiry sweeper's index)
  KEYS[6] feed stream    one entry per order state change
  KEYS[7] tickets-due set  orderIds paid whose ticket the issuer has not yet recorded
  KEYS[8] passes zset    queue sales: spent pass ids (admitted places), scored by place

  ARGV, six per order, for each order in turn:
    userId         already validated: 1-64 of A-Z a-z 0-9 _ -
    requestKey     "k:<Idempotency-Key>" (sent by the client or made by the worker)
    orderId        the id a new order gets
    now            epoch milliseconds
    passPlace      queue sales: the pass's id (its admitted place), "" when none was sent
    passExpiresAt  queue sales: the pass's expiry, epoch milliseconds ("" when none)

  Returns one reply per order, in order, each {outcome, ...fields}; the
  outcome names and their fields are the `reserve` table of src/ledger/outcomes.ts:
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
--- @include "includes/reserve-ticket"
local replies = {}
for i = 1, #ARGV, 6 do
  replies[#replies + 1] = reserveTicket(ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4], ARGV[i + 5])
end
return replies
