// Two spikes on one host, the way containers sharing a volume and /tmp run them:
// a second one on the same DATA_DIR is refused, whatever its PID namespace and
// however close the two starts, and a start in another PID namespace never
// removes a live instance's worker sockets. Real processes, real kernel locks.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { startServer, type RunningServer } from '../helpers/server';

const CONTENDER = join(__dirname, '..', 'helpers', 'journal-lock-contender.js');
const FILE_LOCK = join(__dirname, '..', '..', 'src', 'system', 'file-lock.js');
/** A PID namespace of its own, as a second container would have; the child dies with it. */
const OTHER_PID_NAMESPACE = ['unshare', '--pid', '--fork', '--kill-child'];
const canUnshare = spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

const root = mkdtempSync(join(tmpdir(), 'spike-shared-host-'));
const children: ChildProcess[] = [];
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function embeddedEnv(name: string): Record<string, string> {
  return { LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, name, 'data'), SOCKET_DIR: join(root, name, 'sockets'), WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '2000' };
}

/** Starts a server that is expected to refuse to start; resolves with what it printed and its exit code. */
async function refusedStart(env: Record<string, string>, wrap: readonly string[] = []): Promise<{ output: string; code: number | null }> {
  let server: RunningServer;
  try {
    server = await startServer(env, 20_000, wrap);
  } catch (error) {
    return { output: (error as Error).message, code: null };
  }
  servers.push(server);
  const output = server.output();
  await server.stop();
  assert.fail(`a second spike started on the same DATA_DIR:\n${output}`);
}

describe('one DATA_DIR, two spikes', () => {
  it('refuses a second spike in another PID namespace while the first runs, and the first keeps selling', { skip: !canUnshare && 'unshare --pid does not work here' }, async () => {
    const env = embeddedEnv('pidns');
    const first = await startServer(env);
    servers.push(first);
    // The second gets its own socket directory, so only the journal lock can stop it.
    const second = await refusedStart({ ...env, SOCKET_DIR: join(root, 'pidns', 'sockets-2') }, OTHER_PID_NAMESPACE);
    assert.match(second.output, new RegExp(`DATA_DIR ${join(root, 'pidns', 'data')} is in use by another spike .*pid ${first.child.pid} on host`));
    const bought = await request(`${first.url}/buy/ticket?user=after-refusal`);
    assert.equal(bought.status, 201, bought.text);
  });

  it('refuses a second spike when the LOCK names a dead pid but another process holds the lock', async () => {
    const env = embeddedEnv('lying');
    const lockPath = join(root, 'lying', 'data', 'LOCK');
    mkdirSync(join(root, 'lying', 'data'), { recursive: true });
    const holder = spawn(process.execPath, ['-e', `if (!require(${JSON.stringify(FILE_LOCK)}).tryLockFile(${JSON.stringify(lockPath)})) process.exit(3); console.log('held'); setInterval(() => {}, 1e6);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
    });
    // What a pid check would read: a process that does not exist here.
    writeFileSync(lockPath, `${2 ** 22 + 4321}\n`);
    const refused = await refusedStart(env);
    assert.match(refused.output, /is in use by another spike/);
    // Once the holder dies the kernel lets go, and the next start needs no clean-up.
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const server = await startServer(env);
    servers.push(server);
    assert.equal((await request(`${server.url}/healthz`)).status, 200);
  });

  it('lets exactly one of two processes starting at the same moment have it, 15 times out of 15', async () => {
    for (let round = 0; round < 15; round++) {
      const dataDir = join(root, 'race', String(round));
      const startAt = Date.now() + 400;
      const contenders = [0, 1].map(() => {
        const child = spawn(process.execPath, [CONTENDER], { env: { ...process.env, DATA_DIR: dataDir, START_AT: String(startAt) }, stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(child);
        return new Promise<string>((resolve) => {
          let out = '';
          child.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes('\n')) resolve(out.trim());
          });
          child.once('exit', () => resolve(out.trim()));
        });
      });
      const answers = await Promise.all(contenders);
      assert.equal(answers.filter((answer) => answer === 'locked').length, 1, `round ${round}: ${JSON.stringify(answers)}`);
      assert.equal(answers.filter((answer) => answer.startsWith('refused: DATA_DIR')).length, 1, `round ${round}: ${JSON.stringify(answers)}`);
      for (const child of children.splice(0)) child.kill('SIGKILL');
    }
  });
});

describe('worker sockets of two spikes sharing /tmp', () => {
  it('a spike starting in another PID namespace leaves a live instance its sockets', { skip: !canUnshare && 'unshare --pid does not work here' }, async () => {
    const tmp = join(root, 'tmp');
    mkdirSync(tmp, { recursive: true });
    // Default socket directories (no SOCKET_DIR), in one temp dir shared by both.
    const env = (name: string) => ({ ...embeddedEnv(name), SOCKET_DIR: '', TMPDIR: tmp });
    const first = await startServer(env('sockets-a'));
    servers.push(first);
    const [ownDir] = readdirSync(tmp);
    assert.match(ownDir ?? '', /^spike-/);
    const second = await startServer(env('sockets-b'), 20_000, OTHER_PID_NAMESPACE);
    servers.push(second);
    assert.equal(readdirSync(tmp).length, 2, `each has its own directory: ${readdirSync(tmp).join(', ')}`);
    for (let i = 0; i < 20; i++) {
      // A fresh connection each time: the primary must reach its worker's socket again.
      const reply = await request(`${first.url}/healthz`);
      assert.equal(reply.status, 200, `the first instance after the second started: ${reply.text}`);
    }
    assert.equal((await request(`${second.url}/healthz`)).status, 200);
  });

  it('a killed primary leaves its socket directory to the next start to remove', async () => {
    const tmp = join(root, 'tmp-killed');
    mkdirSync(tmp, { recursive: true });
    const env = (name: string) => ({ ...embeddedEnv(name), SOCKET_DIR: '', TMPDIR: tmp });
    const killed = await startServer(env('killed-a'));
    const [deadDir] = readdirSync(tmp);
    killed.child.kill('SIGKILL');
    await killed.exited;
    // Its worker notices the lost primary and exits on its own.
    const next = await startServer(env('killed-b'));
    servers.push(next);
    assert.ok(!readdirSync(tmp).includes(deadDir!), `${deadDir} is gone: ${readdirSync(tmp).join(', ')}`);
    assert.equal(readdirSync(tmp).length, 1);
  });
});
