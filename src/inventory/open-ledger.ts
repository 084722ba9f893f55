// Picks and opens the ledger named by the configuration, in the primary and
// in each worker.
import type { Config } from '../config/config';
import type { IpcRpc, RpcHandler } from '../cluster/ipc-rpc';
import type { Ledger } from './ledger';
import { RedisLedger } from './redis-ledger';

export interface PrimaryLedger {
  readonly ledger: Ledger;
  /** IPC methods the primary serves to workers for this ledger (none for Redis, which workers reach directly). */
  readonly ipcHandlers: Record<string, RpcHandler>;
}

export async function openWorkerLedger(config: Config, _rpc: IpcRpc): Promise<Ledger> {
  const ledger = new RedisLedger({ url: config.redisUrl, prefix: config.redisPrefix, timeoutMs: config.ledgerTimeoutMs, autoPipelining: config.redisAutoPipelining });
  await ledger.connect();
  return ledger;
}

export async function openPrimaryLedger(config: Config): Promise<PrimaryLedger> {
  const ledger = new RedisLedger({ url: config.redisUrl, prefix: config.redisPrefix, timeoutMs: config.ledgerTimeoutMs, autoPipelining: false });
  try {
    await ledger.connect(3000);
  } catch (error) {
    throw new Error(`${(error as Error).message}. Start Redis there, point REDIS_URL at one, or run without Redis: LEDGER=embedded`);
  }
  return { ledger, ipcHandlers: {} };
}
