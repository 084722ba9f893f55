// A private redis-server on its own port and directory, for tests that must
// count its commands exactly or stop and restart it mid-sale.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../src/system/free-port';


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

  static async start(extraArgs: string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'spike-redis-')), extraArgs);
    await redis.resume();
    return redis;
  }

  /** Starts (or restarts) the server on the same port and directory. */
  async resume(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', ...this.extraArgs], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
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
    throw new Error(`private redis-server on port ${this.port} did not start`);
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
