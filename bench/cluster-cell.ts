// The `cluster` cell: three boxes of one worker each on a private Redis
// Cluster (three masters, each with a replica), loaded all at once, first
// without WAIT and then with REDIS_WAIT_REPLICAS=1, so the run shows what
// many boxes sell per second next to the single-box Redis cells and what
// WAIT costs. Redis calls are read per shard from each master's INFO
// commandstats; the audit reads the cluster's own state.
import { randomBytes } from 'node:crypto';
import { saleKeys } from '../src/ledger/redis/keys';
import { RedisLedger } from '../src/ledger/redis/redis-ledger';
import { PrivateRedisCluster } from '../harness/private-redis-cluster';
import { runPhase, summarise, type LoadSummary } from './load/phase';
import type { LoadGenerator } from './load/slice';
import { startServerProcess, type ServerProcess } from './server-process';
import type { BenchSettings } from './settings';

export interface ClusterVariant {
  readonly name: string;
  readonly waitReplicas: number;
  status: 'ok' | 'failed';
  error?: string;
  /** Tickets sold per second from the first buyer to the sell-out, over the three boxes. */
  ticketsPerSecond?: number;
  soldOutAtMs?: number | null;
  selling?: LoadSummary;
  load?: LoadSummary;
  audit?: { sold: number; total: number; paid: number; buyersOverLimit: number; ordersMatchSold: boolean; ok: boolean };
  /** Script calls (EVAL/EVALSHA/FCALL) per master port, and which one holds the sale. */
  scriptCallsPerShard?: Record<string, number>;
  saleShard?: number;
}

export interface ClusterCellResult {
  readonly cell: 'cluster';
  readonly boxes: number;
  readonly tickets: number;
  readonly buyers: number;
  variants: ClusterVariant[];
}

const SCRIPT_COMMANDS = ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall'];

async function runVariant(cluster: PrivateRedisCluster, variant: ClusterVariant, settings: BenchSettings, generator: LoadGenerator, log: (line: string) => void): Promise<void> {
  const id = randomBytes(4).toString('hex');
  const prefix = `spikebench-cluster-${id}`;
  const saleId = `cluster-${id}`;
  const adminToken = randomBytes(18).toString('base64url');
  const boxes: ServerProcess[] = [];
  const ledger = new RedisLedger({ url: cluster.url, cluster: true, prefix, timeoutMs: 3000, autoPipelining: false });
  try {
    await ledger.connect(5000);
    for (let i = 0; i < 3; i++) {
      boxes.push(
        await startServerProcess({
          ...settings.serverEnv,
          PORT: '0',
          HOST: '127.0.0.1',
          WORKERS: '1',
          LEDGER: 'redis',
          REDIS_URL: cluster.url,
          REDIS_CLUSTER: 'true',
          REDIS_PREFIX: prefix,
          REDIS_WAIT_REPLICAS: String(variant.waitReplicas),
          DEFAULT_SALE_ID: saleId,
          DEFAULT_SALE_TOTAL: String(settings.tickets),
          DEFAULT_SALE_HOLD_SECONDS: '0',
          ADMIN_TOKEN: adminToken,
        }),
      );
    }
    variant.saleShard = await cluster.nodeOf(saleKeys(prefix, saleId).sale);
    await cluster.resetStats();
    const soldOut = async () => Number((await ledger.redis.hget(saleKeys(prefix, saleId).sale, 'sold')) ?? 0) >= settings.tickets;
    log(`cluster${variant.waitReplicas ? ' + WAIT' : ''}: ${settings.users.toLocaleString('en-US')} buyers for ${settings.tickets.toLocaleString('en-US')} tickets over 3 boxes x 1 worker, 3-master cluster`);
    // One generator per box, each with a third of the buyers and connections, all at once.
    const runs = await Promise.all(
      boxes.map((box, i) =>
        runPhase({
          generator,
          url: box.url,
          pathPrefix: `/buy/ticket?user=b${i}u`,
          users: Math.ceil(settings.users / 3),
          maxMs: settings.maxSeconds * 1000,
          sliceMs: settings.sliceMs,
          connections: Math.max(1, Math.round(settings.connections / 3)),
          threads: 1,
          timeoutSeconds: settings.timeoutSeconds,
          soldOut,
        }),
      ),
    );
    const slices = runs.flatMap((r) => r.slices);
    variant.load = summarise(slices);
    const selling = slices.filter((s) => s.phase === 'selling');
    variant.selling = selling.length ? summarise(selling) : undefined;
    const soldOutAt = runs.map((r) => r.soldOutAtMs);
    variant.soldOutAtMs = soldOutAt.every((t) => t !== null) ? Math.max(...(soldOutAt as number[])) : null;
    variant.ticketsPerSecond = variant.soldOutAtMs ? (settings.tickets * 1000) / variant.soldOutAtMs : undefined;

    const perShard: Record<string, number> = {};
    for (const [port, stats] of await cluster.commandstats()) perShard[String(port)] = SCRIPT_COMMANDS.reduce((sum, name) => sum + (stats.get(name) ?? 0), 0);
    variant.scriptCallsPerShard = perShard;

    const audit = await ledger.audit(saleId);
    if (!audit) throw new Error(`sale ${saleId} is missing from the cluster`);
    const ordersMatchSold = audit.orders.paid + audit.orders.reserved === audit.sold;
    variant.audit = {
      sold: audit.sold,
      total: audit.total,
      paid: audit.paid,
      buyersOverLimit: audit.buyersOverLimit,
      ordersMatchSold,
      ok: audit.sold === settings.tickets && audit.buyersOverLimit === 0 && ordersMatchSold,
    };
    variant.status = 'ok';
    log(`  ${variant.name}: ${variant.ticketsPerSecond ? Math.round(variant.ticketsPerSecond).toLocaleString('en-US') : '?'} tickets/s selling, p99 ${variant.selling ? (variant.selling.latencyUs.p99 / 1000).toFixed(2) : '?'} ms, audit ${variant.audit.ok ? 'ok' : 'FAILED'}, script calls per shard ${JSON.stringify(perShard)}`);
  } catch (error) {
    variant.error = (error as Error).message;
  } finally {
    await Promise.all(boxes.map((box) => box.stop().catch(() => undefined)));
    await ledger.close().catch(() => undefined);
  }
}

export async function runClusterCell(settings: BenchSettings, generator: LoadGenerator, log: (line: string) => void): Promise<ClusterCellResult> {
  const result: ClusterCellResult = { cell: 'cluster', boxes: 3, tickets: settings.tickets, buyers: settings.users, variants: [] };
  let cluster: PrivateRedisCluster | undefined;
  try {
    cluster = await PrivateRedisCluster.start({ masters: 3, replicas: 1, nodeTimeoutMs: 2000 });
    for (const [name, waitReplicas] of [['3 boxes', 0], ['3 boxes, WAIT 1', 1]] as const) {
      const variant: ClusterVariant = { name, waitReplicas, status: 'failed' };
      result.variants.push(variant);
      await runVariant(cluster, variant, settings, generator, log);
    }
  } catch (error) {
    result.variants.push({ name: 'cluster', waitReplicas: 0, status: 'failed', error: (error as Error).message });
  } finally {
    await cluster?.stop();
  }
  return result;
}

/** The cell's lines for the report, next to the single-box Redis cells' selling rates. */
export function renderClusterCell(result: ClusterCellResult, singleBoxTicketsPerSecond: Array<{ cell: string; ticketsPerSecond: number | null }>): string {
  const lines = [`cluster cell: ${result.boxes} boxes x 1 worker on a 3-master Redis Cluster (each master with a replica), ${result.tickets.toLocaleString('en-US')} tickets`];
  for (const single of singleBoxTicketsPerSecond) lines.push(`  single box ${single.cell}: ${single.ticketsPerSecond ? Math.round(single.ticketsPerSecond).toLocaleString('en-US') : '?'} tickets/s selling`);
  for (const v of result.variants) {
    if (v.status !== 'ok') {
      lines.push(`  ${v.name}: FAILED ${v.error?.split('\n')[0] ?? ''}`);
      continue;
    }
    const p = v.selling?.latencyUs;
    lines.push(
      `  ${v.name}: ${v.ticketsPerSecond ? Math.round(v.ticketsPerSecond).toLocaleString('en-US') : '?'} tickets/s selling, p50 ${p ? (p.p50 / 1000).toFixed(2) : '?'} ms p99 ${p ? (p.p99 / 1000).toFixed(2) : '?'} ms; audit ${v.audit?.ok ? 'ok' : 'FAILED'} (sold ${v.audit?.sold}/${v.audit?.total}, over limit ${v.audit?.buyersOverLimit}); script calls per master ${Object.entries(v.scriptCallsPerShard ?? {}).map(([port, calls]) => `${port}${Number(port) === v.saleShard ? ' (sale)' : ''}: ${calls}`).join(', ')}`,
    );
  }
  return lines.join('\n');
}
