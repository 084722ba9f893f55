// A real three-shard Redis Cluster of private redis-server processes, made
// with redis-cli --cluster create, for tests of the ledger on a cluster.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PrivateRedis } from './private-redis';

const run = promisify(execFile);

export class PrivateRedisCluster {
  private constructor(readonly nodes: PrivateRedis[]) {}

  /** The seed node spike is pointed at; ioredis discovers the others. */
  get url(): string {
    return this.nodes[0]!.url;
  }

  static async start(shards = 3): Promise<PrivateRedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: shards }, () => PrivateRedis.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'])),
    );
    const cluster = new PrivateRedisCluster(nodes);
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info']);
        if (/cluster_state:ok/.test(stdout)) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} never reached cluster_state:ok:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return cluster;
  }

  /** Which node holds a key, by port. */
  async nodeOf(key: string): Promise<number> {
    const { stdout } = await run('redis-cli', ['-p', String(this.nodes[0]!.port), 'cluster', 'keyslot', key]);
    const slot = Number(stdout.trim());
    const { stdout: slots } = await run('redis-cli', ['-p', String(this.nodes[0]!.port), 'cluster', 'slots']);
    // Lines: start, end, ip, port, id (repeated per range).
    const lines = slots.trim().split('\n').map((line) => line.trim());
    for (let i = 0; i + 3 < lines.length; i++) {
      const start = Number(lines[i]);
      const end = Number(lines[i + 1]);
      if (Number.isInteger(start) && Number.isInteger(end) && lines[i + 2] === '127.0.0.1' && slot >= start && slot <= end) return Number(lines[i + 3]);
    }
    throw new Error(`no node serves slot ${slot}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
