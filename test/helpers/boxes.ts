// Several spike instances ("boxes") on one Redis Cluster, as they would run on
// several machines: each its own primary with its own workers and port, all
// with REDIS_CLUSTER=true and one shared REDIS_PREFIX. Also the audit of a
// sale read from the cluster's own state, not from any box.
import assert from 'node:assert/strict';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { saleKeys } from '../../src/ledger/redis/keys';
import type { SaleAudit } from '../../src/ledger';
import { request } from './client';
import type { PrivateRedisCluster } from '../../harness/private-redis-cluster';
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

export interface FloodAttempt {
  readonly buyer: number;
  readonly box: number;
  readonly status: number;
  readonly at: number;
  readonly code?: string;
  readonly orderId?: string;
  readonly replayed?: boolean;
}

export interface FloodResult {
  readonly attempts: FloodAttempt[];
  /** The last answer each buyer got. */
  readonly final: FloodAttempt[];
  /** Every order id a buyer was ever told it had (201), by buyer. */
  readonly acknowledged: Map<number, string>;
}

/**
 * Distinct buyers spread over the boxes, each with its own Idempotency-Key.
 * A buyer whose connection broke, or who got a 503, retries with the same key
 * on the next live box, as the API asks, until it gets a definite answer.
 * `onProgress` runs after each definite answer (to kill something midway).
 */
export async function flood(options: {
  readonly boxes: Box[];
  readonly saleId: string;
  readonly buyers: number;
  readonly concurrency: number;
  readonly tag: string;
  readonly retryForMs?: number;
  readonly live?: (box: number) => boolean;
  readonly onProgress?: (answered: number) => void;
}): Promise<FloodResult> {
  const { boxes, saleId, tag } = options;
  const live = options.live ?? (() => true);
  const attempts: FloodAttempt[] = [];
  const final: FloodAttempt[] = new Array(options.buyers);
  const acknowledged = new Map<number, string>();
  let next = 0;
  let answered = 0;
  const lane = async () => {
    while (next < options.buyers) {
      const buyer = next++;
      const deadline = Date.now() + (options.retryForMs ?? 30_000);
      for (let turn = 0; ; turn++) {
        let box = (buyer + turn) % boxes.length;
        for (let k = 0; k < boxes.length && !live(box); k++) box = (box + 1) % boxes.length;
        let attempt: FloodAttempt;
        try {
          const reply = await request(`${boxes[box]!.url}/api/sales/${saleId}/purchases`, {
            method: 'POST',
            headers: { 'idempotency-key': `${tag}-${buyer}` },
            body: { userId: `${tag}-u${buyer}` },
            timeoutMs: 10_000,
          });
          attempt = { buyer, box, status: reply.status, at: Date.now(), code: reply.body?.error?.code, orderId: reply.body?.orderId, replayed: reply.headers['idempotent-replayed'] === 'true' };
        } catch (error) {
          attempt = { buyer, box, status: 0, at: Date.now(), code: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
        }
        attempts.push(attempt);
        if (attempt.status === 201) acknowledged.set(buyer, attempt.orderId!);
        const definite = attempt.status !== 0 && attempt.status !== 503;
        if (definite || Date.now() > deadline) {
          final[buyer] = attempt;
          break;
        }
        // A client's back-off before retrying, not a wait for a condition.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      options.onProgress?.(++answered);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return { attempts, final, acknowledged };
}
