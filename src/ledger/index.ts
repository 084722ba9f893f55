// The ledger's one door. The primary and the workers open the ledger here and
// never learn which one is behind it: this module picks it from the config,
// and hands the primary everything that differs by kind (IPC handlers,
// start-up warnings, the hold sweeper, the stock-returned relay) as one object.
import type { Config } from '../config/config';
import type { IpcRpc, RpcHandler } from '../ipc/rpc';
import { EmbeddedLedger, embeddedDescription } from './embedded/embedded-ledger';
import { HoldSweeper } from './hold-sweeper';
import type { Ledger } from './ledger';
import { durabilityWarnings } from './redis/durability';
import { RedisBoxRegistry } from './redis/box-registry';
import { RedisLedger } from './redis/redis-ledger';
import { singleBox, type Topology } from './topology';
import type { SeatsReleased } from './types';
import { ledgerHandlers, remoteLedger } from './remote-ledger';
import { JournalWriter } from './embedded/journal/journal-writer';

export { LEDGER_COMMANDS, type Ledger, type LedgerCommand } from './ledger';
export * from './types';
export * from './outcomes';
export * from './sale-rules';
export * from './train-rules';
export * from './queue-rules';
export type { HoldSweeper } from './hold-sweeper';
export type { Topology, TopologyView } from './topology';

type LedgerConfig = Pick<
  Config,
  'ledger' | 'dataDir' | 'journalFsync' | 'feedMaxEvents' | 'journalCompactBytes' | 'journalCompactNice' | 'redisUrl' | 'redisCluster' | 'redisPrefix' | 'redisAutoPipelining' | 'redisReserveBatch' | 'redisBatchWindowMs' | 'ledgerTimeoutMs' | 'holdSweepMs' | 'boxHeartbeatMs' | 'weights' | 'redisWaitReplicas' | 'redisWaitTimeoutMs'
>;

/** What the primary holds: the ledger, and the parts of running it that depend on its kind. */
export interface PrimaryLedger {
  readonly ledger: Ledger;
  /** IPC methods the primary serves to its workers (none for Redis, which workers reach directly). */
  readonly ipcHandlers: Readonly<Record<string, RpcHandler>>;
  /** Releases unpaid holds on time; the primary starts and stops it. */
  readonly sweeper: HoldSweeper;
  /** Settings that can lose acknowledged orders, for the start-up log. */
  startupWarnings(): Promise<string[]>;
  /**
   * Calls `broadcast` with each sale whose tickets went back on sale when the
   * workers cannot hear it themselves (the embedded ledger lives only here;
   * Redis workers hear pub/sub directly, so nothing is relayed).
   */
  relayStockReturned(broadcast: (saleId: string) => void): void;
  /** The same for changed, closed or deleted sales. */
  relaySaleChanged(broadcast: (saleId: string) => void): void;
  /** The same for a train order's seat range back on sale. */
  relaySeatsReleased(broadcast: (release: SeatsReleased) => void): void;
  /** The boxes sharing this ledger and their weights (this box alone on the embedded ledger). */
  readonly topology: Topology;
}

/**
 * `instrument` may wrap the ledger the primary and its sweeper use (the
 * metrics' timing decorator); the workers' IPC handlers keep the bare one,
 * since each worker times its own calls.
 */
export async function openPrimaryLedger(
  config: LedgerConfig,
  log: (line: string) => void,
  warn: (line: string) => void,
  instrument: (ledger: Ledger) => Ledger = (ledger) => ledger,
): Promise<PrimaryLedger> {
  const boxWeight = config.weights.reduce((sum, w) => sum + w, 0);
  const sweeper = (ledger: Ledger) => new HoldSweeper(ledger, { intervalMs: config.holdSweepMs, batch: 500, fullPassMs: 30_000, warn });
  if (config.ledger === 'embedded') {
    const bare = EmbeddedLedger.open({ dataDir: config.dataDir, fsync: config.journalFsync, feedMaxEvents: config.feedMaxEvents, compactBytes: config.journalCompactBytes, compactPriority: config.journalCompactNice, log, warn });
    const ledger = instrument(bare);
    return {
      ledger,
      ipcHandlers: ledgerHandlers(bare),
      sweeper: sweeper(ledger),
      startupWarnings: async () => [],
      relayStockReturned: (broadcast) => void bare.onStockReturned(broadcast),
      relaySaleChanged: (broadcast) => void bare.onSaleChanged(broadcast),
      relaySeatsReleased: (broadcast) => void bare.onSeatsReleased(broadcast),
      topology: singleBox(boxWeight),
    };
  }
  const redis = new RedisLedger({ url: config.redisUrl, cluster: config.redisCluster, prefix: config.redisPrefix, timeoutMs: config.ledgerTimeoutMs, autoPipelining: false, feedMaxEvents: config.feedMaxEvents });
  try {
    await redis.connect(3000);
  } catch (error) {
    throw new Error(`${(error as Error).message}. Start Redis there, point REDIS_URL at one, or run without Redis: LEDGER=embedded`);
  }
  const ledger = instrument(redis);
  return {
    ledger,
    ipcHandlers: {},
    sweeper: sweeper(ledger),
    startupWarnings: () => durabilityWarnings(redis.redis),
    relayStockReturned: () => {},
    relaySaleChanged: () => {},
    relaySeatsReleased: () => {},
    topology: new RedisBoxRegistry(redis.redis, { prefix: config.redisPrefix, weight: boxWeight, heartbeatMs: config.boxHeartbeatMs, warn }),
  };
}

/** The worker's ledger: its own Redis connection, or the primary's embedded ledger over IPC. */
/** Lets the primary's metrics watch the embedded journal's group commits (records per fsync, and its time), from the first one on. */
export function observeJournalCommits(observer: (records: number, seconds: number) => void): void {
  JournalWriter.observer = observer;
}

export async function openWorkerLedger(config: LedgerConfig, rpc: IpcRpc): Promise<Ledger> {
  if (config.ledger === 'embedded') {
    return remoteLedger(rpc, { description: embeddedDescription(config.dataDir, config.journalFsync), timeoutMs: config.ledgerTimeoutMs });
  }
  const ledger = new RedisLedger({ url: config.redisUrl, cluster: config.redisCluster, prefix: config.redisPrefix, timeoutMs: config.ledgerTimeoutMs, autoPipelining: config.redisAutoPipelining, waitReplicas: config.redisWaitReplicas, waitTimeoutMs: config.redisWaitTimeoutMs, feedMaxEvents: config.feedMaxEvents, reserveBatch: config.redisReserveBatch, batchWindowMs: config.redisBatchWindowMs });
  await ledger.connect();
  return ledger;
}
