// The ledger on Redis: each decision is one Lua script over the sale's keys,
// which share a hash tag so a Redis Cluster keeps a sale on one shard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis, { type RedisOptions } from 'ioredis';
import { LedgerUnavailableError } from '../errors/errors';
import {
  saleIdOfOrder,
  type Ledger,
  type Order,
  type ReserveOutcome,
  type ReserveRequest,
  type Sale,
  type SaleSpec,
} from './ledger';

/** The first element of every reserveTicket reply; see src/lua/reserveTicket-4.lua. */
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

type ReserveReply = [ReserveCode, ...(string | number)[]];

interface SpikeCommands {
  reserveTicket(sale: string, buyers: string, orders: string, requests: string, userId: string, requestKey: string, orderId: string, now: number): Promise<ReserveReply>;
  createSale(sale: string, ...fieldsAndValues: (string | number)[]): Promise<0 | 1>;
}

type SpikeRedis = Redis & SpikeCommands;

/** Lua lives in src/lua and is copied next to the compiled code by the build. */
const LUA_DIR = join(__dirname, '..', 'lua');

function lua(file: string): string {
  return readFileSync(join(LUA_DIR, file), 'utf8');
}

export interface RedisLedgerOptions {
  readonly url: string;
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
  };
}

/**
 * Options that make a dead Redis fail fast instead of queueing: no offline
 * queue, no resend of in-flight commands after a reconnect (the caller decides
 * to retry, with the same request key), and a per-command timeout.
 */
export function failFastOptions(timeoutMs: number, autoPipelining: boolean): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 2000),
    enableAutoPipelining: autoPipelining,
    retryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
  };
}

/** Connects, or rejects within deadlineMs naming the URL; never waits on the retry loop. */
export async function connectOrFail(redis: Redis, url: string, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onError: ((error: Error) => void) | undefined;
  let lastError: Error | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        onError = (error) => { lastError = error; };
        redis.on('error', onError);
        timer = setTimeout(() => reject(new Error(`cannot reach Redis at ${url} within ${deadlineMs} ms${lastError ? ` (${lastError.message})` : ''}`)), deadlineMs);
      }),
    ]);
  } catch (error) {
    redis.disconnect();
    throw error instanceof Error && error.message.startsWith('cannot reach') ? error : new Error(`cannot reach Redis at ${url}: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    if (onError) redis.off('error', onError);
  }
}

function toSale(fields: Record<string, string>): Sale | null {
  if (!fields.id) return null;
  return {
    id: fields.id,
    name: fields.name ?? fields.id,
    total: Number(fields.total),
    sold: Number(fields.sold),
    perUserLimit: Number(fields.perUserLimit),
    opensAt: fields.opensAt ? Number(fields.opensAt) : null,
    closesAt: fields.closesAt ? Number(fields.closesAt) : null,
    createdAt: Number(fields.createdAt),
  };
}

export class RedisLedger implements Ledger {
  readonly description: string;
  readonly redis: SpikeRedis;
  private readonly prefix: string;

  constructor(private readonly options: RedisLedgerOptions) {
    this.prefix = options.prefix;
    this.description = `redis ${options.url} (prefix ${options.prefix})`;
    this.redis = new Redis(options.url, failFastOptions(options.timeoutMs, options.autoPipelining)) as SpikeRedis;
    // Errors surface per command as 503s; the connection-level event only needs to not crash us.
    this.redis.on('error', () => {});
    this.redis.defineCommand('reserveTicket', { numberOfKeys: 4, lua: lua('reserveTicket-4.lua') });
    this.redis.defineCommand('createSale', { numberOfKeys: 1, lua: lua('createSale-1.lua') });
  }

  async connect(deadlineMs = 3000): Promise<void> {
    await connectOrFail(this.redis, this.options.url, deadlineMs);
  }

  async createSale(spec: SaleSpec, now: number): Promise<Sale | null> {
    const keys = saleKeys(this.prefix, spec.id);
    const created = await this.call(() =>
      this.redis.createSale(
        keys.sale,
        'id', spec.id,
        'name', spec.name,
        'total', spec.total,
        'perUserLimit', spec.perUserLimit,
        'opensAt', spec.opensAt ?? '',
        'closesAt', spec.closesAt ?? '',
        'createdAt', now,
      ),
    );
    return created === 1 ? { ...spec, sold: 0, createdAt: now } : null;
  }

  async getSale(saleId: string): Promise<Sale | null> {
    const fields = await this.call(() => this.redis.hgetall(saleKeys(this.prefix, saleId).sale));
    return toSale(fields);
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const keys = saleKeys(this.prefix, request.saleId);
    const reply = await this.call(() =>
      this.redis.reserveTicket(keys.sale, keys.buyers, keys.orders, keys.requests, request.userId, request.requestKey, request.orderId, request.now),
    );
    switch (reply[0]) {
      case ReserveCode.Reserved:
        return { kind: 'reserved', order: JSON.parse(reply[1] as string) as Order, sold: Number(reply[2]), total: Number(reply[3]) };
      case ReserveCode.Replayed:
        return { kind: 'replayed', order: JSON.parse(reply[1] as string) as Order };
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

  async getOrder(orderId: string): Promise<Order | null> {
    const saleId = saleIdOfOrder(orderId);
    if (!saleId) return null;
    const json = await this.call(() => this.redis.hget(saleKeys(this.prefix, saleId).orders, orderId));
    return json ? (JSON.parse(json) as Order) : null;
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
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
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
