// Picks and opens the ledger named by the configuration, in the primary and
// in each worker. Embedded: the state lives in the primary and workers reach
// it over IPC. Redis: primary and workers each connect to it directly.
import type { Config } from '../config/config';
import type { IpcRpc, RpcHandler } from '../cluster/ipc-rpc';
import { EmbeddedLedger, embeddedDescription } from './embedded/embedded-ledger';
import { IpcLedger, ledgerIpcHandlers } from './embedded/ipc-ledger';
import type { Ledger } from './ledger';
import { RedisLedger } from './redis/redis-ledger';

export interface PrimaryLedger {
  readonly ledger: Ledger;
  /** IPC methods the primary serves to workers for this ledger (none for Redis, which workers reach directly). */
  readonly ipcHandlers: Record<string, RpcHandler>;
}

export async function openWorkerLedger(config: Config, rpc: IpcRpc): Promise<Ledger> {
  if (config.ledger === 'embedded') {
    return new IpcLedger(rpc, {
      description: embeddedDescription(config.dataDir, config.journalFsync),
      timeoutMs: config.ledgerTimeoutMs,
      connected: () => process.connected !== false,
      // The primary relays its ledger's returned stock as process messages (src/cluster/primary.ts).
      messages: process,
    });
  }
  const ledger = new RedisLedger({ url: config.redisUrl, cluster: config.redisCluster, prefix: config.redisPrefix, timeoutMs: config.ledgerTimeoutMs, autoPipelining: config.redisAutoPipelining });
  await ledger.connect();
  return ledger;
}

export async function openPrimaryLedger(config: Config): Promise<PrimaryLedger> {
  if (config.ledger === 'embedded') {
    const ledger = EmbeddedLedger.open({
      dataDir: config.dataDir,
      fsync: config.journalFsync,
      log: (line) => console.log(`spike: ${line}`),
      warn: (line) => console.warn(`spike: WARNING: ${line}`),
    });
    return { ledger, ipcHandlers: ledgerIpcHandlers(ledger) };
  }
  const ledger = new RedisLedger({ url: config.redisUrl, cluster: config.redisCluster, prefix: config.redisPrefix, timeoutMs: config.ledgerTimeoutMs, autoPipelining: false });
  try {
    await ledger.connect(3000);
  } catch (error) {
    throw new Error(`${(error as Error).message}. Start Redis there, point REDIS_URL at one, or run without Redis: LEDGER=embedded`);
  }
  return { ledger, ipcHandlers: {} };
}
