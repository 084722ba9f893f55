// Where a sale lives in Redis. Every key of one sale carries the hash tag
// {saleId}, so a Redis Cluster keeps the sale on one shard and each of its
// scripts runs there.

export interface SaleKeys {
  /** {id,name,total,sold,paid,perUserLimit,holdSeconds,opensAt,closesAt,createdAt,anonymous,maxCancelsPerBuyer} */
  readonly sale: string;
  /** userId -> tickets held */
  readonly buyers: string;
  /** orderId -> order JSON */
  readonly orders: string;
  /** requestKey -> orderId */
  readonly requests: string;
  /** unpaid orderIds scored by expiresAt */
  readonly holds: string;
  /** one stream entry per order state change, ticket issued and check-in */
  readonly feed: string;
  /** queue sales: userId -> "<pre 0|1>:<number>", the buyer's one entry in line */
  readonly queueMembers: string;
  /** queue sales: "serving:at" per advance of the serving counter, trimmed to passSeconds */
  readonly admitLog: string;
  /** queue sales: spent pass ids (admitted places), scored by place */
  readonly passes: string;
  /** orderIds paid whose ticket the issuer has not yet recorded */
  readonly ticketsDue: string;
  /** orderId -> when the issuer recorded its ticket issued */
  readonly ticketsIssued: string;
  /** orderId -> "<at> <gate>" of its ticket's one admission */
  readonly checkins: string;
  /** userId -> orders the buyer cancelled themself (maxCancelsPerBuyer) */
  readonly cancels: string;
}

export function saleKeys(prefix: string, saleId: string): SaleKeys {
  const base = `${prefix}:{${saleId}}`;
  return {
    sale: `${base}:sale`,
    buyers: `${base}:buyers`,
    orders: `${base}:orders`,
    requests: `${base}:requests`,
    holds: `${base}:holds`,
    feed: `${base}:feed`,
    queueMembers: `${base}:queue`,
    admitLog: `${base}:admit-log`,
    passes: `${base}:passes`,
    ticketsDue: `${base}:tickets-due`,
    ticketsIssued: `${base}:tickets-issued`,
    checkins: `${base}:checkins`,
    cancels: `${base}:cancels`,
  };
}

/** A spent proof-of-work challenge of the sale, kept until the challenge expires. */
export function challengeKey(prefix: string, saleId: string, challengeId: string): string {
  return `${prefix}:{${saleId}}:pow:${challengeId}`;
}

/** The set of every sale id, for the hold sweeper. */
export function salesIndexKey(prefix: string): string {
  return `${prefix}:sales`;
}

/**
 * Sales that may have holds to release, scored by the earliest time one can
 * fall due: the hold sweeper reads the due ones instead of visiting every
 * sale. It has no hash tag (it spans sales), so no sale script can write it:
 * the ledger keeps it beside the scripts (see RedisLedger.expireHolds).
 */
export function holdsDueKey(prefix: string): string {
  return `${prefix}:holds-due`;
}

/** The pub/sub channel on which release scripts announce a sale's returned stock. */
export function stockReturnedChannel(prefix: string): string {
  return `${prefix}:stock-returned`;
}

/**
 * Where release scripts announce a train order's freed seat range, "<trainId>
 * <from> <to>": the stock channel's name with ":seats" (the Lua derives it so,
 * in includes/trains.lua's freeTrip).
 */
export function seatsReleasedChannel(prefix: string): string {
  return `${stockReturnedChannel(prefix)}:seats`;
}

/** The pub/sub channel on which the sale scripts announce a changed (or deleted) sale: workers re-read it at once. */
export function saleChangedChannel(prefix: string): string {
  return `${prefix}:sale-changed`;
}

/**
 * The boxes sharing this Redis: one key per box holding its weight, with a
 * TTL its heartbeat renews, and the set of their ids. They share the hash tag
 * {boxes}, so one MGET reads them all on a cluster.
 */
export function boxKeys(prefix: string): { members: string; box(boxId: string): string } {
  return { members: `${prefix}:{boxes}:members`, box: (boxId) => `${prefix}:{boxes}:box:${boxId}` };
}

/**
 * The segment bitmaps' keys a trip reservation reads and writes, for segments
 * max(from-1, 0) .. to (best-fit looks at the trip's neighbours), named as
 * includes/trains.lua's segmentKey names them. The caller builds them because
 * building them in Lua cost more than the bit operations (reserveTrip-7.lua).
 */
export function tripSegmentKeys(saleKey: string, from: number, to: number): string[] {
  const keys: string[] = [];
  // A route no train can have (trains have at most 50 stations, train-input.ts) gets no keys; the script answers bad_route.
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to <= from || to > 1000) return keys;
  for (let s = Math.max(from - 1, 0); s <= to; s++) keys.push(`${saleKey}:seg:${s}`);
  return keys;
}
