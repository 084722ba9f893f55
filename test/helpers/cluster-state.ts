// What the failure tests read from a started cluster and its Redis: the
// primary's per-worker figures, a sale made over HTTP, the ledger's own state.
import assert from 'node:assert/strict';
import { saleKeys } from '../../src/ledger/redis/keys';
import { request, type Reply } from './client';
import { adminRedis } from './redis';
import { ADMIN_TOKEN, type RunningServer } from './server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface WorkerStats {
  slot: number;
  state: string;
  pid: number | null;
  connections: number | null;
  restarts: number;
  outages: Array<{ downAt: string; upAt: string | null; downForMs: number | null; connectionsAtDown: number; connectionsAtUp: number | null }>;
}

export async function workers(server: RunningServer): Promise<WorkerStats[]> {
  const reply = await request(`${server.url}/api/cluster`, { headers: admin });
  assert.equal(reply.status, 200, reply.text);
  return reply.body.workers;
}

export async function createSale(server: RunningServer, id: string, total: number): Promise<void> {
  const reply = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id, total } });
  assert.equal(reply.status, 201, reply.text);
}

/** The ledger's own state: sold, orders, and whether any buyer holds more than one ticket. */
export async function ledgerState(redisUrl: string, prefix: string, saleId: string) {
  const redis = adminRedis(redisUrl);
  try {
    const sold = Number(await redis.hget(saleKeys(prefix, saleId).sale, 'sold'));
    const orders = await redis.hgetall(saleKeys(prefix, saleId).orders);
    const held = await redis.hvals(saleKeys(prefix, saleId).buyers);
    return { sold, orders, buyers: held.length, overLimit: held.filter((count) => count !== '1').length };
  } finally {
    await redis.quit();
  }
}

export function acknowledged(replies: Reply[]): Reply[] {
  return replies.filter((reply) => reply?.status === 201);
}
