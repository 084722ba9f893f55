// The ledger on Redis: each decision is one Lua script over the sale's keys,
// which share a hash tag so a Redis Cluster keeps a sale on one shard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectOrFail, createClient, createSubscriber, type RedisClient } from './redis-connection';
import { LedgerUnavailableError } from '../../errors/errors';
import {
  saleIdOfOrder,
  type Actor,
  type CancelOutcome,
  type FeedEvent,
  type FeedPage,
  type Ledger,
  type Order,
  type OrderPage,
  type OrderState,
  type PayOutcome,
  type ReserveOutcome,
  type ReserveRequest,
  type Sale,
  type SaleAudit,
  type SaleSpec,
} from '../ledger';

/** The first element of every reserveTicket reply; see src/lua/reserveTicket-6.lua. */
export enum ReserveCode {
  Reserved = 0,
  Replayed = 1,
  SoldOut = 2,
  LimitReached = 3,
  NotFound = 4,
  NotOpen = 5,
  Closed = 6,
  KeyReused = 7,
}

/** payOrder-5.lua's codes. */
export enum PayCode {
  Paid = 0,
  AlreadyPaid = 1,
  Expired = 2,
  Cancelled = 3,
  Forbidden = 4,
  NotFound = 5,
}

/** cancelOrder-5.lua's codes. */
export enum CancelCode {
  Cancelled = 0,
  AlreadyCancelled = 1,
  Paid = 2,
  Expired = 3,
  Forbidden = 4,
  NotFound = 5,
}

type Reply = [number, ...(string | number)[]];
type OrderKeys = [sale: string, buyers: string, orders: string, holds: string, feed: string];

interface SpikeCommands {
  reserveTicket(sale: string, buyers: string, orders: string, requests: string, holds: string, feed: string, userId: string, requestKey: string, orderId: string, now: number): Promise<Reply>;
  payOrder(...args: [...OrderKeys, orderId: string, actor: string, now: number, channel: string]): Promise<Reply>;
  cancelOrder(...args: [...OrderKeys, orderId: string, actor: string, now: number, channel: string]): Promise<Reply>;
  expireHolds(...args: [...OrderKeys, now: number, limit: number, channel: string]): Promise<number>;
  createSale(sale: string, ...fieldsAndValues: (string | number)[]): Promise<0 | 1>;
  auditSale(sale: string, orders: string, buyers: string): Promise<number[]>;
}

type SpikeRedis = RedisClient & SpikeCommands;

/** Lua lives in src/lua and is copied next to the compiled code by the build. */
const LUA_DIR = join(__dirname, '..', '..', 'lua');

/** A script with the shared order functions of includes/orders.lua in front. */
function lua(file: string, includes: string[] = []): string {
  const parts = [...includes.map((name) => readFileSync(join(LUA_DIR, 'includes', name), 'utf8')), readFileSync(join(LUA_DIR, file), 'utf8')];
  return parts.join('\n');
}

export interface RedisLedgerOptions {
  readonly url: string;
  /** Talk to a Redis Cluster through this seed node (MOVED/ASK handled by ioredis). */
  readonly cluster?: boolean;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly autoPipelining: boolean;
}

export function saleKeys(prefix: string, saleId: string) {
  const base = `${prefix}:{${saleId}}`;
  return {
    sale: `${base}:sale`,
    buyers: `${base}:buyers`,
    orders: `${base}:orders`,
    requests: `${base}:requests`,
    holds: `${base}:holds`,
    feed: `${base}:feed`,
  };
}

function toSale(fields: Record<string, string>): Sale | null {
  if (!fields.id) return null;
  return {
    id: fields.id,
    name: fields.name ?? fields.id,
    total: Number(fields.total),
    sold: Number(fields.sold),
    paid: Number(fields.paid ?? 0),
    perUserLimit: Number(fields.perUserLimit),
    holdSeconds: Number(fields.holdSeconds ?? 0),
    opensAt: fields.opensAt ? Number(fields.opensAt) : null,
    closesAt: fields.closesAt ? Number(fields.closesAt) : null,
    createdAt: Number(fields.createdAt),
    anonymous: fields.anonymous === '1',
  };
}

function order(json: string | number | undefined): Order {
  return JSON.parse(String(json)) as Order;
}

export class RedisLedger implements Ledger {
  readonly description: string;
  readonly redis: SpikeRedis;
  private readonly prefix: string;
  /** Pub/sub channel on which release scripts announce a sale's returned stock. */
  readonly stockChannel: string;
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<void> | undefined;
  private readonly stockListeners: Array<(saleId: string) => void> = [];

  constructor(private readonly options: RedisLedgerOptions) {
    this.prefix = options.prefix;
    this.stockChannel = `${options.prefix}:stock-returned`;
    this.description = `redis${options.cluster ? ' cluster' : ''} ${options.url} (prefix ${options.prefix})`;
    this.redis = createClient(options) as SpikeRedis;
    // Errors surface per command as 503s; the connection-level event only needs to not crash us.
    this.redis.on('error', () => {});
    this.redis.defineCommand('reserveTicket', { numberOfKeys: 6, lua: lua('reserveTicket-6.lua', ['orders.lua']) });
    this.redis.defineCommand('payOrder', { numberOfKeys: 5, lua: lua('payOrder-5.lua', ['orders.lua']) });
    this.redis.defineCommand('cancelOrder', { numberOfKeys: 5, lua: lua('cancelOrder-5.lua', ['orders.lua']) });
    this.redis.defineCommand('expireHolds', { numberOfKeys: 5, lua: lua('expireHolds-5.lua', ['orders.lua']) });
    this.redis.defineCommand('createSale', { numberOfKeys: 1, lua: lua('createSale-1.lua') });
    this.redis.defineCommand('auditSale', { numberOfKeys: 3, lua: lua('auditSale-3.lua') });
  }

  async connect(deadlineMs = 3000): Promise<void> {
    await connectOrFail(this.redis, this.options.url, deadlineMs);
  }

  async createSale(spec: SaleSpec, now: number): Promise<Sale | null> {
    const keys = saleKeys(this.prefix, spec.id);
    // The index first: a sale the sweeper cannot find would keep its holds forever.
    await this.call(() => this.redis.sadd(this.salesIndex(), spec.id));
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
      ),
    );
    return created === 1 ? { ...spec, anonymous: spec.anonymous === true, sold: 0, paid: 0, createdAt: now } : null;
  }

  async getSale(saleId: string): Promise<Sale | null> {
    const fields = await this.call(() => this.redis.hgetall(saleKeys(this.prefix, saleId).sale));
    return toSale(fields);
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const keys = saleKeys(this.prefix, request.saleId);
    const reply = await this.call(() =>
      this.redis.reserveTicket(keys.sale, keys.buyers, keys.orders, keys.requests, keys.holds, keys.feed, request.userId, request.requestKey, request.orderId, request.now),
    );
    switch (reply[0]) {
      case ReserveCode.Reserved:
        return { kind: 'reserved', order: order(reply[1]), sold: Number(reply[2]), total: Number(reply[3]) };
      case ReserveCode.Replayed:
        return { kind: 'replayed', order: order(reply[1]) };
      case ReserveCode.SoldOut:
        return { kind: 'sold_out', total: Number(reply[1]) };
      case ReserveCode.LimitReached:
        return { kind: 'limit_reached', perUserLimit: Number(reply[1]) };
      case ReserveCode.NotFound:
        return { kind: 'not_found' };
      case ReserveCode.NotOpen:
        return { kind: 'not_open', opensAt: Number(reply[1]) };
      case ReserveCode.Closed:
        return { kind: 'closed', closesAt: Number(reply[1]) };
      case ReserveCode.KeyReused:
        return { kind: 'key_reused' };
      default:
        throw new Error(`reserveTicket returned unknown code ${String(reply[0])}`);
    }
  }

  async pay(orderId: string, actor: Actor, now: number): Promise<PayOutcome> {
    const keys = this.orderKeys(orderId);
    if (!keys) return { kind: 'not_found' };
    const reply = await this.call(() => this.redis.payOrder(...keys, orderId, actor ?? '', now, this.stockChannel));
    switch (reply[0]) {
      case PayCode.Paid:
        return { kind: 'paid', order: order(reply[1]), replayed: false };
      case PayCode.AlreadyPaid:
        return { kind: 'paid', order: order(reply[1]), replayed: true };
      case PayCode.Expired:
        return { kind: 'expired', order: order(reply[1]) };
      case PayCode.Cancelled:
        return { kind: 'cancelled', order: order(reply[1]) };
      case PayCode.Forbidden:
        return { kind: 'forbidden' };
      case PayCode.NotFound:
        return { kind: 'not_found' };
      default:
        throw new Error(`payOrder returned unknown code ${String(reply[0])}`);
    }
  }

  async cancel(orderId: string, actor: Actor, now: number): Promise<CancelOutcome> {
    const keys = this.orderKeys(orderId);
    if (!keys) return { kind: 'not_found' };
    const reply = await this.call(() => this.redis.cancelOrder(...keys, orderId, actor ?? '', now, this.stockChannel));
    switch (reply[0]) {
      case CancelCode.Cancelled:
        return { kind: 'cancelled', order: order(reply[1]), replayed: false };
      case CancelCode.AlreadyCancelled:
        return { kind: 'cancelled', order: order(reply[1]), replayed: true };
      case CancelCode.Paid:
        return { kind: 'paid', order: order(reply[1]) };
      case CancelCode.Expired:
        return { kind: 'expired', order: order(reply[1]) };
      case CancelCode.Forbidden:
        return { kind: 'forbidden' };
      case CancelCode.NotFound:
        return { kind: 'not_found' };
      default:
        throw new Error(`cancelOrder returned unknown code ${String(reply[0])}`);
    }
  }

  async expireHolds(saleId: string, now: number, limit: number): Promise<number> {
    const k = saleKeys(this.prefix, saleId);
    return this.call(() => this.redis.expireHolds(k.sale, k.buyers, k.orders, k.holds, k.feed, now, limit, this.stockChannel));
  }

  async audit(saleId: string): Promise<SaleAudit | null> {
    const k = saleKeys(this.prefix, saleId);
    const reply = await this.call(() => this.redis.auditSale(k.sale, k.orders, k.buyers));
    if (reply.length === 0) return null;
    const [total, sold, paid, reserved, paidOrders, expired, cancelled, buyers, buyersOverLimit] = reply.map(Number) as number[];
    return { total: total!, sold: sold!, paid: paid!, orders: { reserved: reserved!, paid: paidOrders!, expired: expired!, cancelled: cancelled! }, buyers: buyers!, buyersOverLimit: buyersOverLimit! };
  }

  async saleIds(): Promise<string[]> {
    return this.call(() => this.redis.smembers(this.salesIndex()));
  }

  async listOrders(saleId: string, options: { state?: OrderState; cursor?: string | null; limit: number }): Promise<OrderPage> {
    const key = saleKeys(this.prefix, saleId).orders;
    const [next, flat] = await this.call(() => this.redis.hscan(key, options.cursor ?? '0', 'COUNT', options.limit));
    const orders: Order[] = [];
    for (let i = 1; i < flat.length; i += 2) {
      const o = order(flat[i]);
      if (!options.state || o.state === options.state) orders.push(o);
    }
    return { orders, cursor: next === '0' ? null : next };
  }

  async readFeed(saleId: string, after: string | null, limit: number): Promise<FeedPage> {
    const key = saleKeys(this.prefix, saleId).feed;
    const entries = await this.call(() => this.redis.xrange(key, after ? `(${after}` : '-', '+', 'COUNT', limit));
    const events: FeedEvent[] = entries.map(([id, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      return { id, orderId: f.orderId!, userId: f.userId!, state: f.state as OrderState, at: Number(f.at) };
    });
    return { events, last: events.at(-1)?.id ?? after };
  }

  onStockReturned(listener: (saleId: string) => void): Promise<void> {
    this.stockListeners.push(listener);
    if (this.subscribed) return this.subscribed;
    // A subscribed connection can run nothing else, so it is a second one.
    // If it misses a message while down, the workers' periodic re-read of a
    // sold-out sale still finds the returned stock.
    const subscriber = createSubscriber(this.options);
    subscriber.on('message', (_channel: string, saleId: string) => {
      for (const notify of this.stockListeners) notify(saleId);
    });
    this.subscriber = subscriber;
    // ioredis re-subscribes by itself after a reconnect.
    this.subscribed = subscriber.subscribe(this.stockChannel).then(() => undefined);
    return this.subscribed;
  }

  async getOrder(orderId: string): Promise<Order | null> {
    const saleId = saleIdOfOrder(orderId);
    if (!saleId) return null;
    const json = await this.call(() => this.redis.hget(saleKeys(this.prefix, saleId).orders, orderId));
    return json ? order(json) : null;
  }

  async findByRequestKey(saleId: string, requestKey: string): Promise<Order | null> {
    const keys = saleKeys(this.prefix, saleId);
    const orderId = await this.call(() => this.redis.hget(keys.requests, requestKey));
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

  private salesIndex(): string {
    return `${this.prefix}:sales`;
  }

  private orderKeys(orderId: string): OrderKeys | null {
    const saleId = saleIdOfOrder(orderId);
    if (!saleId) return null;
    const k = saleKeys(this.prefix, saleId);
    return [k.sale, k.buyers, k.orders, k.holds, k.feed];
  }

  /** Every Redis failure (down, timeout, reset) becomes one error the HTTP layer maps to 503. */
  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (/ERR|WRONGTYPE|NOSCRIPT/.test(message) && !/Connection|timed out|writeable/i.test(message)) throw error;
      throw new LedgerUnavailableError(`the ledger at ${this.options.url} did not answer: ${message}`, error);
    }
  }
}
