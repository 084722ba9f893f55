// A real Redis Cluster of private redis-server processes, made with
// redis-cli --cluster create: three masters, optionally each with a replica
// and a short cluster-node-timeout, so tests can kill a master and watch its
// replica take over.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PrivateRedis } from './private-redis';

const run = promisify(execFile);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ClusterShape {
  readonly masters?: number;
  /** Replicas per master (0 or 1 in practice). */
  readonly replicas?: number;
  /** cluster-node-timeout: how long a master may be silent before its replica takes over. */
  readonly nodeTimeoutMs?: number;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
  return stdout;
}

export class PrivateRedisCluster {
  private constructor(readonly nodes: PrivateRedis[]) {}

  /** The seed node spike is pointed at; ioredis discovers the others. */
  get url(): string {
    return this.nodes[0]!.url;
  }

  static async start(shape: ClusterShape | number = {}): Promise<PrivateRedisCluster> {
    const { masters = 3, replicas = 0, nodeTimeoutMs = 2000 } = typeof shape === 'number' ? { masters: shape } : shape;
    const count = masters * (1 + replicas);
    const started = await Promise.allSettled(
      Array.from({ length: count }, () =>
        PrivateRedis.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs)]),
      ),
    );
    const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const cluster = new PrivateRedisCluster(nodes);
    try {
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
      await cluster.waitHealthy(count, 20_000);
      return cluster;
    } catch (error) {
      // The nodes that did start would keep the test process alive until its
      // timeout, hiding the real error behind a later one.
      await cluster.stop();
      throw error;
    }
  }

  /** Waits until every live node says cluster_state:ok and sees `masters` masters each with its replicas linked. */
  async waitHealthy(expectedNodes = this.nodes.length, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let ok = true;
      let last = '';
      for (const node of this.nodes) {
        if (!node.running) continue;
        last = await cli(node.port, 'cluster', 'info').catch((e: Error) => e.message);
        if (!/cluster_state:ok/.test(last) || !new RegExp(`cluster_known_nodes:${expectedNodes}\\b`).test(last)) ok = false;
      }
      if (ok && (await this.replicasInSync())) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster never became healthy:\n${last}`);
      await pause(50);
    }
  }

  /** Every live replica has finished its first sync with its master. */
  private async replicasInSync(): Promise<boolean> {
    for (const node of this.nodes) {
      if (!node.running) continue;
      const info = await cli(node.port, 'info', 'replication').catch(() => '');
      if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
    }
    return true;
  }

  /** The slot of a key. */
  async slotOf(key: string): Promise<number> {
    return Number((await cli(this.liveNode().port, 'cluster', 'keyslot', key)).trim());
  }

  /** The port of the master that serves a key's slot now. */
  async nodeOf(key: string): Promise<number> {
    const slot = await this.slotOf(key);
    const { stdout } = await run('redis-cli', ['--json', '-p', String(this.liveNode().port), 'cluster', 'slots']).catch(() => ({ stdout: '' }));
    if (stdout.trim().startsWith('[')) {
      const ranges = JSON.parse(stdout) as Array<[number, number, [string, number, string], ...unknown[]]>;
      for (const [start, end, master] of ranges) if (slot >= start && slot <= end) return Number(master[1]);
    }
    // Older redis-cli without --json: lines are start, end, ip, port, id (repeated per range).
    const { stdout: slots } = await run('redis-cli', ['-p', String(this.liveNode().port), 'cluster', 'slots']);
    const lines = slots.trim().split('\n').map((line) => line.trim());
    for (let i = 0; i + 3 < lines.length; i++) {
      const start = Number(lines[i]);
      const end = Number(lines[i + 1]);
      if (Number.isInteger(start) && Number.isInteger(end) && lines[i + 2] === '127.0.0.1' && slot >= start && slot <= end) return Number(lines[i + 3]);
    }
    throw new Error(`no node serves slot ${slot}`);
  }

  node(port: number): PrivateRedis {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  }

  /** The live masters, by port (a killed master stays listed by the others until it is failed over). */
  async masters(): Promise<number[]> {
    const ports: number[] = [];
    for (const node of this.nodes) {
      if (!node.running) continue;
      const role = await cli(node.port, 'role').catch(() => '');
      if (role.startsWith('master')) ports.push(node.port);
    }
    return ports;
  }

  /** Polls until the key's slot is served by a live master other than `formerPort`; returns its port. */
  async waitPromoted(key: string, formerPort: number, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const port = await this.nodeOf(key).catch(() => formerPort);
      if (port !== formerPort) {
        const role = await cli(port, 'role').catch(() => '');
        if (role.startsWith('master')) return port;
      }
      if (Date.now() > deadline) throw new Error(`slot of ${key} was never taken over from ${formerPort}`);
      await pause(50);
    }
  }

  /** Sum over the live masters of one INFO commandstats figure, per master port. */
  async commandstats(): Promise<Map<number, Map<string, number>>> {
    const byNode = new Map<number, Map<string, number>>();
    for (const port of await this.masters()) {
      const stats = new Map<string, number>();
      for (const line of (await cli(port, 'info', 'commandstats')).split('\n')) {
        const match = /^cmdstat_([a-z_|]+):calls=(\d+)/.exec(line.trim());
        if (match) stats.set(match[1]!, Number(match[2]));
      }
      byNode.set(port, stats);
    }
    return byNode;
  }

  /** One CLUSTER INFO figure summed over the live nodes (e.g. cluster_stats_messages_publish_sent). */
  async clusterInfoSum(field: string): Promise<number> {
    let sum = 0;
    for (const node of this.nodes) {
      if (!node.running) continue;
      const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(await cli(node.port, 'cluster', 'info'));
      sum += match ? Number(match[1]) : 0;
    }
    return sum;
  }

  async resetStats(): Promise<void> {
    for (const node of this.nodes) if (node.running) await cli(node.port, 'config', 'resetstat');
  }

  private liveNode(): PrivateRedis {
    const node = this.nodes.find((n) => n.running);
    if (!node) throw new Error('no cluster node is running');
    return node;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
