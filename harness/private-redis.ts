// A private redis-server on its own port and directory, for tests that must
// count its commands exactly or stop and restart it mid-sale.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../src/system/free-port';

/** A node of a Redis Cluster also listens on its port + 10000 (the cluster bus). */
const CLUSTER_BUS_OFFSET = 10_000;
/**
 * Cluster nodes take their ports from below the kernel's ephemeral range
 * (32768-60999 here), bus ports included: a port the kernel handed out for a
 * probe can have its bus port above 65535 or held by some outgoing
 * connection, and the node then exits at once (one CI run lost its cluster
 * suite that way).
 */
const CLUSTER_PORTS = { from: 20_000, to: 22_767 };
const START_ATTEMPTS = 5;

export class PrivateRedis {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number, readonly dir: string, private readonly extraArgs: string[]) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server process is up (it has not been killed or stopped). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts a server on a free port; a server that exits at once (its port
   * was taken between the probe and its bind) is tried again on another.
   */
  static async start(extraArgs: string[] = []): Promise<PrivateRedis> {
    const clustered = extraArgs.includes('--cluster-enabled');
    for (let attempt = 1; ; attempt += 1) {
      const port = clustered ? await freeClusterPort() : await freePort();
      const redis = new PrivateRedis(port, mkdtempSync(join(tmpdir(), 'spike-redis-')), extraArgs);
      try {
        await redis.resume();
        return redis;
      } catch (error) {
        await redis.stop();
        if (!(error instanceof ExitedAtStart) || attempt === START_ATTEMPTS) throw error;
      }
    }
  }

  /** Starts (or restarts) the server on the same port and directory. */
  async resume(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // Kept (the last few KiB) so that a server that will not start says why.
    let said = '';
    const keep = (chunk: Buffer) => {
      said = (said + chunk.toString()).slice(-2048);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new ExitedAtStart(this.port, child.exitCode, said);
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return;
      } catch {
        client.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    throw new Error(`private redis-server on port ${this.port} did not answer within 10 s: ${said.trim().split('\n').slice(-3).join(' | ')}`);
  }

  /** Kills the server outright, as a crash or a network cut would look to clients. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class ExitedAtStart extends Error {
  constructor(port: number, code: number, said: string) {
    super(`private redis-server on port ${port} exited at start with code ${code}: ${said.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** A port in CLUSTER_PORTS that is free, and whose bus port is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = CLUSTER_PORTS.from + Math.floor(Math.random() * (CLUSTER_PORTS.to - CLUSTER_PORTS.from + 1));
    if ((await bindable(port)) && (await bindable(port + CLUSTER_BUS_OFFSET))) return port;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
