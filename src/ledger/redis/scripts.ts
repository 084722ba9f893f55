// The Lua scripts, loaded once per connection with ioredis defineCommand
// (EVALSHA, falling back to EVAL on NOSCRIPT after a flush or failover). As in
// BullMQ, a script's key count comes from its file name (`payOrder-5.lua` takes
// 5 keys), and a script names the files it needs with `--- @include "path"`,
// so a reader of one script can find every function it calls.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis, Cluster, Result } from 'ioredis';

/** Lua lives beside this module (src/ledger/redis/lua) and is copied next to the compiled code by the build. */
export const LUA_DIR = join(__dirname, 'lua');

/** A reply made of an outcome name and its fields; decoded by src/ledger/outcomes.ts. */
export type OutcomeReply = [string, ...(string | number)[]];

/** One order's six reserveTickets arguments: userId, requestKey, orderId, now, passPlace, passExpiresAt ('' when no pass). */
export type OrderArgs = readonly [string, string, string, number, number | '', number | ''];

/** One check-in's four checkInTickets arguments: orderId, userId, gate, now. */
export type CheckInArgs = readonly [string, string, string, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** `orderArgs`: six per order (OrderArgs), one reply per order. */
    reserveTickets(sale: string, buyers: string, orders: string, requests: string, holds: string, feed: string, ticketsDue: string, passes: string, ...orderArgs: Array<string | number>): Result<OutcomeReply[], Context>;
    reserveTrip(sale: string, buyers: string, orders: string, requests: string, holds: string, feed: string, ticketsDue: string, userId: string, requestKey: string, orderId: string, now: number, from: number, to: number, ...segmentKeys: string[]): Result<OutcomeReply, Context>;
    tripAvailability(sale: string, from: number, to: number, now: number): Result<number, Context>;
    auditTrain(sale: string, orders: string): Result<number[], Context>;
    segmentAvailability(sale: string): Result<number[], Context>;
    createTrain(sale: string, seats: number, segments: number, quotaSeats: string, ...fieldsAndValues: (string | number)[]): Result<0 | 1, Context>;
    joinQueue(sale: string, members: string, challenge: string, userId: string, now: number, challengeExpiresAt: number | ''): Result<OutcomeReply, Context>;
    advanceQueue(sale: string, admitLog: string, passes: string, now: number): Result<number[], Context>;
    payOrder(sale: string, buyers: string, orders: string, holds: string, feed: string, ticketsDue: string, orderId: string, actor: string, now: number, channel: string): Result<OutcomeReply, Context>;
    cancelOrder(sale: string, buyers: string, orders: string, holds: string, feed: string, cancels: string, orderId: string, actor: string, now: number, channel: string, defaultMaxCancels: number): Result<OutcomeReply, Context>;
    expireHolds(sale: string, buyers: string, orders: string, holds: string, feed: string, now: number, limit: number, channel: string): Result<[number, number], Context>;
    issueTickets(orders: string, ticketsDue: string, ticketsIssued: string, feed: string, now: number, limit: number): Result<number, Context>;
    /** `checkInArgs`: four per check-in (CheckInArgs), one reply per check-in. */
    checkInTickets(orders: string, checkins: string, feed: string, ...checkInArgs: Array<string | number>): Result<OutcomeReply[], Context>;
    ticketCounts(sale: string, ticketsDue: string, ticketsIssued: string, checkins: string): Result<number[], Context>;
    createSale(sale: string, ...fieldsAndValues: (string | number)[]): Result<0 | 1, Context>;
    auditSale(sale: string, orders: string, buyers: string): Result<number[], Context>;
    updateSale(sale: string, feed: string, now: number, channel: string, changesJson: string, ...fieldsAndValues: (string | number)[]): Result<OutcomeReply, Context>;
    closeSale(sale: string, feed: string, now: number, channel: string): Result<OutcomeReply, Context>;
    retireSale(sale: string, buyers: string, orders: string, requests: string, holds: string, feed: string, queueMembers: string, admitLog: string, passes: string, cancels: string, ticketsDue: string, ticketsIssued: string, checkins: string, feedMark: string, closedBefore: number, channel: string): Result<OutcomeReply, Context>;
    deleteSale(sale: string, buyers: string, orders: string, requests: string, holds: string, feed: string, queueMembers: string, admitLog: string, passes: string, cancels: string, channel: string): Result<OutcomeReply, Context>;
  }
}

export interface ScriptFile {
  /** The command name ioredis gets, e.g. "payOrder". */
  readonly name: string;
  readonly numberOfKeys: number;
  /** The script's source with its includes in front, each once. */
  readonly lua: string;
}

const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;

/** `name-N.lua` -> {name, N}; anything else in the folder is not a command. */
export function splitFilename(file: string): { name: string; numberOfKeys: number } | null {
  const match = /^([A-Za-z]+)-(\d+)\.lua$/.exec(file);
  return match ? { name: match[1]!, numberOfKeys: Number(match[2]) } : null;
}

/** Resolves `--- @include` lines depth-first, each file once, includes before their includers. */
export function resolveIncludes(source: string, dir: string, seen = new Set<string>()): string {
  const parts: string[] = [];
  for (const [, path] of source.matchAll(INCLUDE)) {
    if (seen.has(path!)) continue;
    seen.add(path!);
    parts.push(resolveIncludes(readFileSync(join(dir, `${path}.lua`), 'utf8'), dir, seen));
  }
  parts.push(source.replace(INCLUDE, ''));
  return parts.join('\n');
}

/** What the scripts are loaded with: settings written into includes/feed.lua. */
export interface ScriptSettings {
  /** Each sale's feed stream keeps at least its last this many entries (XADD MAXLEN ~). */
  readonly feedMaxEvents: number;
}

export const DEFAULT_FEED_MAX_EVENTS = 100_000;

export function loadScripts(dir = LUA_DIR, settings: ScriptSettings = { feedMaxEvents: DEFAULT_FEED_MAX_EVENTS }): ScriptFile[] {
  if (!Number.isSafeInteger(settings.feedMaxEvents) || settings.feedMaxEvents < 1) throw new RangeError(`feedMaxEvents must be a whole number >= 1, got ${settings.feedMaxEvents}`);
  const scripts: ScriptFile[] = [];
  for (const file of readdirSync(dir).sort()) {
    const parsed = splitFilename(file);
    if (!parsed) continue;
    const lua = resolveIncludes(readFileSync(join(dir, file), 'utf8'), dir).replaceAll('__FEED_MAX_EVENTS__', String(settings.feedMaxEvents));
    scripts.push({ ...parsed, lua });
  }
  return scripts;
}

const cached = new Map<number, ScriptFile[]>();

export function defineScripts(redis: Redis | Cluster, settings: ScriptSettings = { feedMaxEvents: DEFAULT_FEED_MAX_EVENTS }): void {
  let scripts = cached.get(settings.feedMaxEvents);
  if (!scripts) cached.set(settings.feedMaxEvents, (scripts = loadScripts(LUA_DIR, settings)));
  for (const script of scripts) redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
}
