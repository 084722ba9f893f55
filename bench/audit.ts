// The audit: after the spike, read the ledger's own state (Redis hashes, or the
// embedded ledger's journal) and check the invariants of DESIGN.md: sold equals
// tickets, one order per ticket, no buyer over the limit, no oversell; and hold
// the 201s the load generator heard against the orders the ledger made.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { decodeEvent } from '../src/ledger/embedded/journal/journal-events';
import { readJournal } from '../src/ledger/embedded/journal/journal-reader';

export interface AuditCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Audit {
  readonly source: string;
  readonly total: number;
  readonly sold: number;
  readonly orders: number | null;
  readonly buyers: number | null;
  readonly maxPerBuyer: number | null;
  readonly duplicateBuyers: number | null;
  readonly oversell: number;
  readonly undersell: number;
  readonly checks: AuditCheck[];
  readonly ok: boolean;
}

/** What the load generator heard, to hold against the orders the ledger made. */
export interface HeardAnswers {
  /** 201s: buyers told they have a ticket. */
  readonly bought: number;
  /** The order ids those 201s named, when the generator reads bodies (wrk does; autocannon does not). */
  readonly orderIds: readonly string[] | null;
  /**
   * Requests whose answer is unknown: abandoned in flight when a slice ended,
   * timed out, or answered 5xx. Each may or may not have made an order.
   */
  readonly unknown: number;
}

function check(name: string, ok: boolean, detail: string): AuditCheck {
  return { name, ok, detail };
}

interface Tally {
  total: number;
  sold: number;
  perUserLimit: number;
  orders: number;
  distinctOrderIds: number;
  /** Every order id the ledger holds for the sale. */
  orderIds: Set<string>;
  /** userId -> orders held, from the orders themselves. */
  ordersPerUser: Map<string, number>;
  /** From the buyers hash (Redis) or null. */
  buyersHash: { entries: number; sum: number; max: number } | null;
  requestKeys: number | null;
}

/**
 * Every 201 names an order the ledger holds (a "yes" the ledger lost fails
 * here), and every order was answered 201 or is one of the unknown answers
 * (an order nobody was told about, beyond what abandoned and failed requests
 * explain, fails here).
 */
function answerChecks(tally: Tally, heard: HeardAnswers): AuditCheck[] {
  const unanswered = tally.orders - heard.bought;
  const checks = [
    check('every 201 has an order', unanswered >= 0, `${heard.bought} answered 201, ${tally.orders} orders in the ledger`),
    check('every order was answered 201 or is unknown', unanswered <= heard.unknown, `${Math.max(0, unanswered)} orders without a 201; ${heard.unknown} answers unknown (abandoned in flight, timed out or 5xx)`),
  ];
  if (heard.orderIds) {
    const missing = heard.orderIds.filter((id) => !tally.orderIds.has(id));
    const distinct = new Set(heard.orderIds).size;
    checks.push(
      check(
        'every 201 names an order the ledger holds, once',
        missing.length === 0 && distinct === heard.orderIds.length && heard.orderIds.length === heard.bought,
        `${heard.orderIds.length} order ids read from ${heard.bought} 201s, ${distinct} distinct, ${missing.length} unknown to the ledger${missing.length ? ` (${missing.slice(0, 3).join(', ')})` : ''}`,
      ),
    );
  }
  return checks;
}

function judge(source: string, tickets: number, tally: Tally, heard?: HeardAnswers): Audit {
  let maxPerBuyer = 0;
  let duplicateBuyers = 0;
  for (const count of tally.ordersPerUser.values()) {
    if (count > maxPerBuyer) maxPerBuyer = count;
    if (count > tally.perUserLimit) duplicateBuyers++;
  }
  const oversell = Math.max(0, tally.sold - tally.total, tally.orders - tally.total);
  const undersell = Math.max(0, Math.min(tickets, tally.total) - tally.sold);
  const checks = [
    check('sold == tickets', tally.sold === tickets, `sold ${tally.sold}, tickets ${tickets}`),
    check('no oversell', oversell === 0, `sold ${tally.sold}, orders ${tally.orders}, total ${tally.total}`),
    check('orders == sold', tally.orders === tally.sold && tally.distinctOrderIds === tally.orders, `orders ${tally.orders} (${tally.distinctOrderIds} distinct ids), sold ${tally.sold}`),
    check(`no buyer over the limit (${tally.perUserLimit})`, duplicateBuyers === 0, `max ${maxPerBuyer} per buyer over ${tally.ordersPerUser.size} buyers; ${duplicateBuyers} over the limit`),
  ];
  if (tally.buyersHash) {
    const b = tally.buyersHash;
    checks.push(check('buyers hash agrees', b.sum === tally.sold && b.max <= tally.perUserLimit && b.entries === tally.ordersPerUser.size, `${b.entries} buyers holding ${b.sum}, max ${b.max}`));
  }
  if (tally.requestKeys !== null) {
    checks.push(check('one request key per order', tally.requestKeys === tally.orders, `${tally.requestKeys} request keys`));
  }
  if (heard) checks.push(...answerChecks(tally, heard));
  return {
    source,
    total: tally.total,
    sold: tally.sold,
    orders: tally.orders,
    buyers: tally.ordersPerUser.size,
    maxPerBuyer,
    duplicateBuyers,
    oversell,
    undersell,
    checks,
    ok: checks.every((c) => c.ok),
  };
}

async function scanHash(redis: Redis, key: string, each: (field: string, value: string) => void): Promise<void> {
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', 2000);
    cursor = next;
    for (let i = 0; i < flat.length; i += 2) each(flat[i]!, flat[i + 1]!);
  } while (cursor !== '0');
}

/** Reads the sale's four hashes (keys as in src/ledger/redis/redis-ledger.ts). */
export async function auditRedis(redis: Redis, prefix: string, saleId: string, tickets: number, heard?: HeardAnswers): Promise<Audit> {
  const base = `${prefix}:{${saleId}}`;
  const sale = await redis.hgetall(`${base}:sale`);
  const tally: Tally = {
    total: Number(sale.total ?? 0),
    sold: Number(sale.sold ?? 0),
    perUserLimit: Number(sale.perUserLimit ?? 1),
    orders: 0,
    distinctOrderIds: 0,
    orderIds: new Set(),
    ordersPerUser: new Map(),
    buyersHash: { entries: 0, sum: 0, max: 0 },
    requestKeys: await redis.hlen(`${base}:requests`),
  };
  await scanHash(redis, `${base}:orders`, (orderId, json) => {
    tally.orders++;
    tally.distinctOrderIds++; // hash fields are unique
    const order = JSON.parse(json) as { userId: string; orderId: string };
    if (order.orderId !== orderId) tally.distinctOrderIds--;
    tally.orderIds.add(orderId);
    tally.ordersPerUser.set(order.userId, (tally.ordersPerUser.get(order.userId) ?? 0) + 1);
  });
  await scanHash(redis, `${base}:buyers`, (_user, held) => {
    const n = Number(held);
    tally.buyersHash!.entries++;
    tally.buyersHash!.sum += n;
    if (n > tally.buyersHash!.max) tally.buyersHash!.max = n;
  });
  return judge(`redis hashes ${base}:{sale,orders,buyers,requests}`, tickets, tally, heard);
}

/**
 * Replays the embedded ledger's journal (DATA_DIR/ledger.journal) on its own,
 * without the ledger's code for applying events, and counts what it holds.
 * Run it after the server stopped, so every record is on disk.
 */
export function auditJournal(dataDir: string, saleId: string, tickets: number, heard?: HeardAnswers): Audit {
  const file = join(dataDir, 'ledger.journal');
  if (!existsSync(file)) throw new Error(`no journal at ${file}`);
  // A compaction moved earlier records into a snapshot or segments, which this independent count does not read.
  const compacted = readdirSync(dataDir).filter((name) => name === 'ledger.snapshot' || name.endsWith('.segment'));
  if (compacted.length > 0) throw new Error(`${dataDir} was compacted (${compacted.join(', ')}); run the server under audit with JOURNAL_COMPACT_MB=0`);
  const orderIds = new Set<string>();
  const tally: Tally = { total: 0, sold: 0, perUserLimit: 1, orders: 0, distinctOrderIds: 0, orderIds, ordersPerUser: new Map(), buyersHash: null, requestKeys: 0 };
  const requestKeys = new Set<string>();
  const buyerOf = new Map<string, string>();
  let released = 0;
  const read = readJournal(file, (payload) => {
    const event = decodeEvent(payload);
    if (event.type === 'sale_created' && event.id === saleId) {
      tally.total = Number(event.total);
      tally.perUserLimit = Number(event.perUserLimit);
    } else if (event.type === 'ticket_reserved' && event.saleId === saleId) {
      tally.orders++;
      orderIds.add(String(event.orderId));
      requestKeys.add(String(event.requestKey));
      const user = String(event.userId);
      buyerOf.set(String(event.orderId), user);
      tally.ordersPerUser.set(user, (tally.ordersPerUser.get(user) ?? 0) + 1);
    } else if ((event.type === 'order_cancelled' || event.type === 'order_expired') && buyerOf.has(String(event.orderId))) {
      // A released ticket is no longer held, and its buyer holds one fewer.
      released++;
      const user = buyerOf.get(String(event.orderId))!;
      tally.ordersPerUser.set(user, tally.ordersPerUser.get(user)! - 1);
    }
  });
  // In the journal, a sale's sold count is its reservations less its releases.
  tally.sold = tally.orders - released;
  tally.distinctOrderIds = orderIds.size;
  tally.requestKeys = requestKeys.size;
  const audit = judge(`journal ${file} (${read.records} records${read.torn ? ', torn tail' : ''})`, tickets, tally, heard);
  return audit;
}

/** Adds a check that the sold count the live API reported matches the ledger's own state. */
export function withApiSold(audit: Audit, apiSold: number | null): Audit {
  if (apiSold === null) return audit;
  const checks = [...audit.checks, check('API sold == ledger', apiSold === audit.sold, `GET /api/sales said ${apiSold}, ledger ${audit.sold}`)];
  return { ...audit, checks, ok: checks.every((c) => c.ok) };
}
