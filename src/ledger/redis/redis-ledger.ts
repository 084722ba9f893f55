// The ledger on Redis: each decision is one Lua script over the sale's keys,
// which share a hash tag so a Redis Cluster keeps a sale on one shard.
import type { Ledger } from '../ledger';
import { decodeReply, type CancelOutcome, type CheckInOutcome, type CloseSaleOutcome, type DeleteSaleOutcome, type RetireSaleOutcome, type JoinOutcome, type PayOutcome, type ReserveOutcome, type ReserveTripOutcome, type UpdateSaleOutcome } from '../outcomes';
import { saleIdOfOrder, type Actor, type CheckInRequest, type FeedPage, type JoinRequest, type Order, type OrderPage, type OrderState, type QueueStatus, type ReserveRequest, type Sale, type SaleAudit, type SaleChanges, type SalePage, type SaleSpec, type SeatsReleased, type TicketCounts, type TrainAudit, type TrainSpec, type TripRequest } from '../types';
import { connectOrFail, createClient, createSubscriber, type RedisClient } from './connection';
import { Cluster, type ChainableCommander } from 'ioredis';
import { LedgerUnavailableError, spikeError } from '../../errors/errors';
import { callRedis } from './failures';
import { DEFAULT_MAX_CANCELS_PER_BUYER } from '../sale-rules';
import { challengeKey, holdsDueKey, saleChangedChannel, saleKeys, salesIndexKey, seatsReleasedChannel, stockReturnedChannel, tripSegmentKeys, type SaleKeys } from './keys';
import { auditFromReply, feedEventFromEntry, orderFromJson, saleFromHash, trainAuditFromReply } from './rows';
import { segmentCount, trainSaleSpec } from '../train-rules';
import { DEFAULT_FEED_MAX_EVENTS, defineScripts, type CheckInArgs, type OrderArgs, type OutcomeReply } from './scripts';
import { ScriptBatcher } from './script-batcher';

export interface RedisLedgerOptions {
  readonly url: string;
  /** Talk to a Redis Cluster through this seed node (MOVED/ASK handled by ioredis). */
  readonly cluster?: boolean;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly autoPipelining: boolean;
  /** WAIT for this many replicas after each reservation; below that, the buyer gets a 503 with the retry key. */
  readonly waitReplicas?: number;
  readonly waitTimeoutMs?: number;
  /** Each sale's feed stream keeps at least its last this many entries (FEED_MAX_EVENTS); default DEFAULT_FEED_MAX_EVENTS. */
  readonly feedMaxEvents?: number;
  /** The most reservations, or check-ins, of one sale sent in one script call (REDIS_RESERVE_BATCH, see ScriptBatcher); 1 sends each alone. Default DEFAULT_RESERVE_BATCH. */
  readonly reserveBatch?: number;
  /** While few of a sale's requests wait, the least time between the starts of two of its script calls, ms (REDIS_BATCH_WINDOW_MS, see ScriptBatcher); 0 sends the next as soon as the last answers. Default DEFAULT_BATCH_WINDOW_MS. */
  readonly batchWindowMs?: number;
}

export const DEFAULT_RESERVE_BATCH = 64;
/** REDIS_BATCH_WINDOW_MS's default: see ScriptBatcher. */
export const DEFAULT_BATCH_WINDOW_MS = 2;
/** How long a reservation waits for its replicas when REDIS_WAIT_REPLICAS is on and no waitTimeoutMs is given. */
const DEFAULT_WAIT_TIMEOUT_MS = 500;

/** Redis's cursors and stream id parts are unsigned 64-bit integers. */
const MAX_U64 = 18446744073709551615n;

/** The five keys every order script takes, in its header's order. */
function orderScriptKeys(k: SaleKeys): [string, string, string, string, string] {
  return [k.sale, k.buyers, k.orders, k.holds, k.feed];
}

export class RedisLedger implements Ledger {
  readonly description: string;
  readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly stockChannel: string;
  private readonly saleChannel: string;
  private subscriber: RedisClient | undefined;
  /** Per channel: its listeners, and the subscription they wait for. */
  private readonly channels = new Map<string, { listeners: Array<(saleId: string) => void>; subscribed: Promise<void> }>();
  private readonly holdsDue: string;
  /** Sales this connection has put in the holds-due index since it opened. */
  private readonly indexedSales = new Set<string>();
  private readonly reservations: ScriptBatcher<OrderArgs, OutcomeReply>;
  private readonly checkins: ScriptBatcher<CheckInArgs, OutcomeReply>;

  constructor(private readonly options: RedisLedgerOptions) {
    this.prefix = options.prefix;
    this.stockChannel = stockReturnedChannel(options.prefix);
    this.holdsDue = holdsDueKey(options.prefix);
    this.saleChannel = saleChangedChannel(options.prefix);
    this.description = `redis${options.cluster ? ' cluster' : ''} ${options.url} (prefix ${options.prefix})`;
    this.redis = createClient(options);
    // Errors surface per command as 503s; the connection-level event only needs to not crash us.
    this.redis.on('error', () => {});
    defineScripts(this.redis, { feedMaxEvents: options.feedMaxEvents ?? DEFAULT_FEED_MAX_EVENTS });
    const batching = { maxBatch: options.reserveBatch ?? DEFAULT_RESERVE_BATCH, windowMs: options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS };
    this.reservations = new ScriptBatcher((saleId, orders) => this.reserveBatch(saleId, orders), batching);
    this.checkins = new ScriptBatcher((saleId, checkIns) => this.checkInBatch(saleId, checkIns), batching);
  }

  async connect(deadlineMs = 3000): Promise<void> {
    await connectOrFail(this.redis, this.options.url, deadlineMs);
  }

  async createSale(spec: SaleSpec, now: number): Promise<Sale | null> {
    const keys = this.keys(spec.id);
    // The index first: a sale the sweeper cannot find would keep its holds forever.
    await this.call(() => this.redis.sadd(salesIndexKey(this.prefix), spec.id));
    const created = await this.call(() =>
      this.redis.createSale(
        keys.sale,
        'id', spec.id,
        'name', spec.name,
        'total', spec.total,
        'perUserLimit', spec.perUserLimit,
        'holdSeconds', spec.holdSeconds,
        'opensAt', spec.opensAt ?? '',
        'closesAt', spec.closesAt ?? '',
        'createdAt', now,
        'anonymous', spec.anonymous ? 1 : 0,
        'maxCancelsPerBuyer', spec.maxCancelsPerBuyer ?? DEFAULT_MAX_CANCELS_PER_BUYER,
        ...(spec.admission ? ['admission', JSON.stringify(spec.admission)] : []),
      ),
    );
    return created === 1 ? { ...spec, anonymous: spec.anonymous === true, maxCancelsPerBuyer: spec.maxCancelsPerBuyer ?? DEFAULT_MAX_CANCELS_PER_BUYER, sold: 0, paid: 0, createdAt: now } : null;
  }

  async createTrain(train: TrainSpec, now: number): Promise<Sale | null> {
    const spec = trainSaleSpec(train);
    const layout = spec.train!;
    const keys = this.keys(spec.id);
    await this.call(() => this.redis.sadd(salesIndexKey(this.prefix), spec.id));
    const segments = segmentCount(layout);
    const created = await this.call(() =>
      this.redis.createTrain(
        keys.sale, layout.seats, segments, JSON.stringify((layout.quotas ?? []).map((q) => [q.firstSeat, q.seats])),
        'id', spec.id, 'name', spec.name, 'total', spec.total, 'perUserLimit', spec.perUserLimit, 'holdSeconds', spec.holdSeconds,
        'opensAt', spec.opensAt ?? '', 'closesAt', spec.closesAt ?? '', 'createdAt', now, 'anonymous', 0,
        'stations', JSON.stringify(layout.stations), 'seats', layout.seats, 'segments', segments, 'seatChoice', layout.seatChoice,
        // The quotas in full for the view; the script reads [minSegments, releaseAt] pairs from `quotas`.
        ...(layout.quotas ? ['quotas', JSON.stringify(layout.quotas.map((q) => [q.minSegments, q.releaseAt])), 'quotaSeats', JSON.stringify(layout.quotas.map((q) => [q.firstSeat, q.seats]))] : []),
      ),
    );
    return created === 1 ? { ...spec, maxCancelsPerBuyer: spec.maxCancelsPerBuyer ?? DEFAULT_MAX_CANCELS_PER_BUYER, anonymous: false, sold: 0, paid: 0, createdAt: now } : null;
  }

  async reserveTrip(request: TripRequest): Promise<ReserveTripOutcome> {
    const k = this.keys(request.saleId);
    const args: Parameters<RedisClient['reserveTrip']> = [k.sale, k.buyers, k.orders, k.requests, k.holds, k.feed, k.ticketsDue, request.userId, request.requestKey, request.orderId, request.now, request.from, request.to, ...tripSegmentKeys(k.sale, request.from, request.to)];
    // With REDIS_WAIT_REPLICAS, a trip is acknowledged only once replicas hold it, as a sale's ticket is.
    let reply: OutcomeReply;
    if (this.options.waitReplicas) {
      const { reply: tripReply, acked } = await this.callAndWait((p) => p.reserveTrip(...args));
      const answer = this.confirmed(tripReply as OutcomeReply, acked);
      if (answer instanceof Error) throw answer;
      reply = answer;
    } else reply = await this.call(() => this.redis.reserveTrip(...args));
    const outcome = decodeReply('reserveTrip', reply);
    if (outcome.kind === 'reserved' && outcome.order.expiresAt !== null && !this.indexedSales.has(request.saleId)) await this.indexHolds(request.saleId, outcome.order.expiresAt);
    return outcome;
  }

  async tripAvailability(trainId: string, from: number, to: number, now?: number): Promise<number | null> {
    const free = Number(await this.call(() => this.redis.tripAvailability(this.keys(trainId).sale, from, to, now ?? Date.now())));
    return free < 0 ? null : free;
  }

  async segmentAvailability(trainId: string): Promise<number[] | null> {
    const free = await this.call(() => this.redis.segmentAvailability(this.keys(trainId).sale));
    return free.length === 0 ? null : free.map(Number);
  }

  async auditTrain(trainId: string): Promise<TrainAudit | null> {
    const k = this.keys(trainId);
    return trainAuditFromReply(await this.call(() => this.redis.auditTrain(k.sale, k.orders)));
  }

  async getSale(saleId: string): Promise<Sale | null> {
    return saleFromHash(await this.call(() => this.redis.hgetall(this.keys(saleId).sale)));
  }

  async listSales(cursor: string | null, limit: number): Promise<SalePage> {
    // Here a cursor is SSCAN's, a number; the embedded ledger's is a sale id, so the route cannot tell a bad one.
    if (cursor !== null && !(/^\d{1,20}$/.test(cursor) && BigInt(cursor) <= MAX_U64)) {
      throw spikeError('INVALID_FIELD', { field: 'cursor', allowed: 'the cursor an earlier page returned (digits only, at most 18446744073709551615)' });
    }
    const [next, ids] = await this.call(() => this.redis.sscan(salesIndexKey(this.prefix), cursor ?? '0', 'COUNT', limit));
    // An id whose sale is gone (deleted, the index not yet told) is skipped.
    const sales = (await Promise.all(ids.map((id) => this.getSale(id)))).filter((sale): sale is Sale => sale !== null);
    sales.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { sales, cursor: next === '0' ? null : next };
  }

  async updateSale(saleId: string, changes: SaleChanges, now: number): Promise<UpdateSaleOutcome> {
    const k = this.keys(saleId);
    const pairs: (string | number)[] = [];
    for (const [field, value] of Object.entries(changes)) if (value !== undefined) pairs.push(field, value ?? '');
    const reply = await this.call(() => this.redis.updateSale(k.sale, k.feed, now, this.saleChannel, JSON.stringify(changes), ...pairs));
    return decodeReply('updateSale', reply);
  }

  async closeSale(saleId: string, now: number): Promise<CloseSaleOutcome> {
    const k = this.keys(saleId);
    return decodeReply('closeSale', await this.call(() => this.redis.closeSale(k.sale, k.feed, now, this.saleChannel)));
  }

  async deleteSale(saleId: string): Promise<DeleteSaleOutcome> {
    const k = this.keys(saleId);
    const outcome = decodeReply('deleteSale', await this.call(() => this.redis.deleteSale(k.sale, k.buyers, k.orders, k.requests, k.holds, k.feed, k.queueMembers, k.admitLog, k.passes, k.cancels, this.saleChannel)));
    // After the script: in a Redis Cluster the index is on another shard. An id
    // left behind by a failure here is skipped by listSales and harmless to the sweeper.
    if (outcome.kind === 'deleted') await this.call(() => this.redis.srem(salesIndexKey(this.prefix), saleId));
    return outcome;
  }

  async feedMark(saleId: string): Promise<string | null> {
    const k = this.keys(saleId);
    const [exists, last] = await Promise.all([this.call(() => this.redis.exists(k.sale)), this.call(() => this.redis.xrevrange(k.feed, '+', '-', 'COUNT', 1))]);
    if (exists === 0) return null;
    return last[0]?.[0] ?? '';
  }

  async retireSale(saleId: string, feedMark: string, closedBefore: number, _now: number): Promise<RetireSaleOutcome> {
    const k = this.keys(saleId);
    const reply = await this.call(() =>
      this.redis.retireSale(k.sale, k.buyers, k.orders, k.requests, k.holds, k.feed, k.queueMembers, k.admitLog, k.passes, k.cancels, k.ticketsDue, k.ticketsIssued, k.checkins, feedMark, closedBefore, this.saleChannel),
    );
    const outcome = decodeReply('retireSale', reply);
    // After the script, as deleteSale does: in a Redis Cluster both indexes live on other shards.
    if (outcome.kind === 'retired') {
      await this.call(() => this.redis.srem(salesIndexKey(this.prefix), saleId));
      await this.call(() => this.redis.zrem(this.holdsDue, saleId));
    }
    return outcome;
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const pass = request.pass;
    const reply = await this.reservations.call(request.saleId, [request.userId, request.requestKey, request.orderId, request.now, pass?.place ?? '', pass?.expiresAt ?? '']);
    const outcome = decodeReply('reserve', reply);
    if (outcome.kind === 'reserved' && outcome.order.expiresAt !== null && !this.indexedSales.has(request.saleId)) await this.indexHolds(request.saleId, outcome.order.expiresAt);
    return outcome;
  }

  /** One call of reserveTickets for a batch of one sale's orders (the batcher's SendBatch). */
  private async reserveBatch(saleId: string, orders: readonly OrderArgs[]): Promise<Array<OutcomeReply | Error>> {
    const k = this.keys(saleId);
    const keys = [k.sale, k.buyers, k.orders, k.requests, k.holds, k.feed, k.ticketsDue, k.passes] as const;
    const args = orders.flat();
    if (!this.options.waitReplicas) return this.call(() => this.redis.reserveTickets(...keys, ...args));
    const { reply, acked } = await this.callAndWait((p) => p.reserveTickets(...keys, ...args));
    const replies = reply as OutcomeReply[];
    return replies.map((one) => this.confirmed(one, acked));
  }

  /** How long a reservation's WAIT may take: the configured time or the default, read by the call and by its refusal. */
  private get waitTimeoutMs(): number {
    return this.options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  }

  /**
   * A reservation script and a WAIT in one pipeline: a keyless WAIT follows
   * the script's key to the sale's master, on the connection that wrote, so
   * it counts that write's replicas. Replication is asynchronous; this is how
   * an acknowledged order survives a failover. Answers the script's reply and
   * how many replicas confirmed it (see confirmed()).
   */
  private async callAndWait(script: (pipeline: ChainableCommander) => ChainableCommander): Promise<{ reply: unknown[]; acked: number }> {
    const want = this.options.waitReplicas!;
    return this.call(async () => {
      const replies = await script(this.redis.pipeline()).wait(want, this.waitTimeoutMs).exec();
      // No replies means the pipeline never ran (the connection went away under it).
      if (!replies || replies.length < 2) throw new Error('the reservation pipeline got no replies');
      const [[scriptError, reply], [waitError, acked]] = replies as [[Error | null, unknown[]], [Error | null, number]];
      if (scriptError) {
        // A pipeline of writes is not redirected by ioredis: learn the new slot owner for the retry.
        if (/^(MOVED|ASK)\b/.test(scriptError.message) && this.redis instanceof Cluster) this.redis.refreshSlotsCache();
        throw scriptError;
      }
      // A pipeline cut by a failover can settle with neither an error nor a
      // reply; the script may or may not have run, so it is an outage (503 + key).
      if (!Array.isArray(reply)) throw new Error('the reservation pipeline was cut before the script replied');
      return { reply, acked: waitError ? 0 : acked };
    });
  }

  /**
   * An order (new or replayed) the replicas did not confirm in time is
   * answered 503: the retry with the same key finds it, or makes it, once
   * they do. Refusals stand as they are.
   */
  private confirmed(reply: OutcomeReply, acked: number): OutcomeReply | LedgerUnavailableError {
    const want = this.options.waitReplicas!;
    const kind = reply[0];
    if ((kind === 'reserved' || kind === 'replayed') && acked < want) {
      return new LedgerUnavailableError(`the ledger at ${this.options.url} took the order but ${acked} of ${want} replica(s) confirmed it within ${this.waitTimeoutMs} ms (REDIS_WAIT_REPLICAS)`);
    }
    return reply;
  }

  /**
   * Puts the sale in the holds-due index, once per connection: once there, the
   * sweeper keeps its score at or before the earliest hold that can fall due
   * (see expireHolds-5.lua), so later holds need no write. A failure is not
   * the buyer's: the order stands, and the next reservation tries again.
   */
  private async indexHolds(saleId: string, expiresAt: number): Promise<void> {
    try {
      await this.redis.zadd(this.holdsDue, 'LT', expiresAt, saleId);
      this.indexedSales.add(saleId);
    } catch {
      // Left unmarked; the sweeper's periodic full pass also restores the entry.
    }
  }

  async joinQueue(request: JoinRequest): Promise<JoinOutcome> {
    const k = this.keys(request.saleId);
    // Without a challenge the third key is never touched; it still names the sale's slot.
    const challenge = challengeKey(this.prefix, request.saleId, request.challengeId ?? '-');
    const reply = await this.call(() => this.redis.joinQueue(k.sale, k.queueMembers, challenge, request.userId, request.now, request.challengeId !== undefined ? (request.challengeExpiresAt ?? request.now) : ''));
    return decodeReply('join', reply);
  }

  async advanceQueue(saleId: string, now: number): Promise<QueueStatus | null> {
    const k = this.keys(saleId);
    const reply = await this.call(() => this.redis.advanceQueue(k.sale, k.admitLog, k.passes, now));
    if (reply.length === 0) return null;
    const [serving, pre, post, drawn, expiredBelow, total, sold, paid] = reply.map(Number) as number[];
    return { saleId, serving: serving!, pre: pre!, post: post!, drawn: drawn === 1, expiredBelow: expiredBelow!, total: total!, sold: sold!, paid: paid!, at: now };
  }

  async pay(orderId: string, actor: Actor, now: number): Promise<PayOutcome> {
    const saleId = saleIdOfOrder(orderId);
    if (!saleId) return { kind: 'not_found' };
    const k = this.keys(saleId);
    const reply = await this.call(() => this.redis.payOrder(...orderScriptKeys(k), k.ticketsDue, orderId, actor ?? '', now, this.stockChannel));
    return decodeReply('pay', reply);
  }

  async cancel(orderId: string, actor: Actor, now: number): Promise<CancelOutcome> {
    const saleId = saleIdOfOrder(orderId);
    if (!saleId) return { kind: 'not_found' };
    const reply = await this.call(() => this.redis.cancelOrder(...orderScriptKeys(this.keys(saleId)), this.keys(saleId).cancels, orderId, actor ?? '', now, this.stockChannel, DEFAULT_MAX_CANCELS_PER_BUYER));
    return decodeReply('cancel', reply);
  }

  async expireHolds(saleId: string, now: number, limit: number): Promise<number> {
    const [released, nextDue] = await this.call(() => this.redis.expireHolds(...orderScriptKeys(this.keys(saleId)), now, limit, this.stockChannel));
    // Written after the script, never before: a hold made in between expires
    // no sooner than the script's now + holdSeconds, which nextDue covers.
    await this.call(() => (nextDue < 0 ? this.redis.zrem(this.holdsDue, saleId) : this.redis.zadd(this.holdsDue, nextDue, saleId)));
    return released;
  }

  async dueSales(now: number, limit: number): Promise<string[]> {
    return this.call(() => this.redis.zrangebyscore(this.holdsDue, '-inf', now, 'LIMIT', 0, limit));
  }

  async issueTickets(saleId: string, now: number, limit: number): Promise<number> {
    const k = this.keys(saleId);
    return this.call(() => this.redis.issueTickets(k.orders, k.ticketsDue, k.ticketsIssued, k.feed, now, limit));
  }

  async checkIn(request: CheckInRequest): Promise<CheckInOutcome> {
    const saleId = saleIdOfOrder(request.orderId);
    if (!saleId) return { kind: 'unknown' };
    const reply = await this.checkins.call(saleId, [request.orderId, request.userId, request.gate, request.now]);
    return decodeReply('checkIn', reply);
  }

  /** One call of checkInTickets for a batch of one sale's check-ins (the batcher's SendBatch). */
  private checkInBatch(saleId: string, checkIns: readonly CheckInArgs[]): Promise<Array<OutcomeReply | Error>> {
    const k = this.keys(saleId);
    return this.call(() => this.redis.checkInTickets(k.orders, k.checkins, k.feed, ...checkIns.flat()));
  }

  async ticketCounts(saleId: string): Promise<TicketCounts | null> {
    const k = this.keys(saleId);
    const reply = await this.call(() => this.redis.ticketCounts(k.sale, k.ticketsDue, k.ticketsIssued, k.checkins));
    return reply.length === 0 ? null : { due: Number(reply[0]), issued: Number(reply[1]), checkedIn: Number(reply[2]) };
  }

  async audit(saleId: string): Promise<SaleAudit | null> {
    const k = this.keys(saleId);
    return auditFromReply(await this.call(() => this.redis.auditSale(k.sale, k.orders, k.buyers)));
  }

  async saleIds(): Promise<string[]> {
    return this.call(() => this.redis.smembers(salesIndexKey(this.prefix)));
  }

  async listOrders(saleId: string, options: { state?: OrderState; cursor?: string | null; limit: number }): Promise<OrderPage> {
    const [next, flat] = await this.call(() => this.redis.hscan(this.keys(saleId).orders, options.cursor ?? '0', 'COUNT', options.limit));
    const orders: Order[] = [];
    for (let i = 1; i < flat.length; i += 2) {
      const order = orderFromJson(flat[i]);
      if (!options.state || order.state === options.state) orders.push(order);
    }
    return { orders, cursor: next === '0' ? null : next };
  }

  async readFeed(saleId: string, after: string | null, limit: number): Promise<FeedPage> {
    // Nothing can follow the largest stream id, and XRANGE refuses an exclusive start there.
    if (after !== null && after === `${MAX_U64}-${MAX_U64}`) return { events: [], last: after };
    const entries = await this.call(() => this.redis.xrange(this.keys(saleId).feed, after ? `(${after}` : '-', '+', 'COUNT', limit));
    const events = entries.map(feedEventFromEntry);
    return { events, last: events.at(-1)?.id ?? after };
  }

  onStockReturned(listener: (saleId: string) => void): Promise<void> {
    return this.listen(this.stockChannel, listener);
  }

  onSaleChanged(listener: (saleId: string) => void): Promise<void> {
    return this.listen(this.saleChannel, listener);
  }

  onSeatsReleased(listener: (release: SeatsReleased) => void): Promise<void> {
    return this.listen(seatsReleasedChannel(this.prefix), (message) => {
      const [trainId, from, to] = message.split(' ');
      if (trainId && from !== undefined && to !== undefined) listener({ trainId, from: Number(from), to: Number(to) });
    });
  }

  /**
   * A subscribed connection can run nothing else, so announcements come over
   * a second one, shared by both channels. If it misses a message while down,
   * the workers' periodic re-reads (a sold-out sale each second, the sale
   * view every SALE_VIEW_TTL_MS) still catch up.
   */
  private listen(channel: string, listener: (saleId: string) => void): Promise<void> {
    const known = this.channels.get(channel);
    if (known) {
      known.listeners.push(listener);
      return known.subscribed;
    }
    if (!this.subscriber) {
      const subscriber = createSubscriber(this.options);
      subscriber.on('message', (from: string, saleId: string) => {
        for (const notify of this.channels.get(from)?.listeners ?? []) notify(saleId);
      });
      this.subscriber = subscriber;
    }
    // ioredis re-subscribes by itself after a reconnect.
    const subscribed = this.subscriber.subscribe(channel).then(() => undefined);
    this.channels.set(channel, { listeners: [listener], subscribed });
    return subscribed;
  }

  async getOrder(orderId: string): Promise<Order | null> {
    const saleId = saleIdOfOrder(orderId);
    if (!saleId) return null;
    const json = await this.call(() => this.redis.hget(this.keys(saleId).orders, orderId));
    return json ? orderFromJson(json) : null;
  }

  async findByRequestKey(saleId: string, requestKey: string): Promise<Order | null> {
    const orderId = await this.call(() => this.redis.hget(this.keys(saleId).requests, requestKey));
    return orderId ? this.getOrder(orderId) : null;
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private keys(saleId: string): SaleKeys {
    return saleKeys(this.prefix, saleId);
  }

  private call<T>(command: () => Promise<T>): Promise<T> {
    return callRedis(this.options.url, command);
  }
}
