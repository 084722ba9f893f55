// Several spike instances ("boxes") on one Redis Cluster, as they would run on
// several machines: each its own primary with its own workers and port, all
// with REDIS_CLUSTER=true and one shared REDIS_PREFIX. Also the audit of a
// sale read from the cluster's own state, not from any box.
import assert from 'node:assert/strict';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { saleKeys } from '../../src/ledger/redis/keys';
import type { SaleAudit } from '../../src/ledger';
import { request } from './client';
import type { PrivateRedisCluster } from './private-redis-cluster';
import { ADMIN_TOKEN, startServer, type RunningServer } from './server';

export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface Box {
  readonly server: RunningServer;
  readonly url: string;
  /** SIGKILL the primary and every worker at once, as a power cut would. */
  kill(): Promise<void>;
}

async function workerPids(url: string): Promise<number[]> {
  const figures = await request(`${url}/api/cluster`, { headers: admin });
  return (figures.body.workers as Array<{ pid: number | null }>).map((w) => w.pid).filter((pid): pid is number => pid !== null);
}

export async function startBox(cluster: PrivateRedisCluster, prefix: string, env: Record<string, string> = {}): Promise<Box> {
  const server = await startServer({ LEDGER: 'redis', REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', REDIS_PREFIX: prefix, WORKERS: '1', DEFAULT_SALE_TOTAL: '0', ...env });
  return {
    server,
    url: server.url,
    async kill() {
      const pids = await workerPids(server.url);
      server.child.kill('SIGKILL');
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await server.exited;
    },
  };
}

export async function startBoxes(count: number, cluster: PrivateRedisCluster, prefix: string, env: Record<string, string> = {}): Promise<Box[]> {
  const boxes: Box[] = [];
  // One at a time: each registers in the topology before the next reads it.
  for (let i = 0; i < count; i++) boxes.push(await startBox(cluster, prefix, env));
  return boxes;
}

export async function stopBoxes(boxes: Box[]): Promise<void> {
  await Promise.all(boxes.map((box) => box.server.stop()));
}

/** A ledger client of the test's own on the cluster, to audit sales from Redis itself. */
export async function clusterLedger(cluster: PrivateRedisCluster, prefix: string): Promise<RedisLedger> {
  const ledger = new RedisLedger({ url: cluster.url, cluster: true, prefix, timeoutMs: 3000, autoPipelining: false });
  await ledger.connect(5000);
  return ledger;
}

export async function createSale(url: string, spec: Record<string, unknown>): Promise<void> {
  const created = await request(`${url}/api/sales`, { method: 'POST', headers: admin, body: spec });
  assert.equal(created.status, 201, created.text);
}

/** The invariants, from the cluster's own state: no oversell, nobody over the limit, orders == sold. */
export async function assertSoldExactly(ledger: RedisLedger, prefix: string, saleId: string, total: number): Promise<SaleAudit> {
  const audit = await ledger.audit(saleId);
  assert.ok(audit, `sale ${saleId} is missing`);
  assert.equal(audit.sold, total, `sold ${audit.sold} of ${total}`);
  assert.equal(audit.buyersOverLimit, 0, 'a buyer is over the limit');
  assert.equal(audit.orders.reserved + audit.orders.paid, audit.sold, 'live orders != sold');
  const held = await ledger.redis.hvals(saleKeys(prefix, saleId).buyers);
  assert.equal(held.reduce((sum, n) => sum + Number(n), 0), audit.sold, 'tickets held by buyers != sold');
  return audit;
}
