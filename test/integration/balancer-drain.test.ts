// SIGTERM under load in both relaying balancer modes: every accepted request
// is answered, then the server exits 0.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from '../helpers/redis';
import { startServer } from '../helpers/server';

for (const mode of ['handoff', 'proxy'] as const) describe(`SIGTERM under load, BALANCER=${mode}`, () => {
  const prefix = uniquePrefix(`sigterm-${mode}`);
  after(async () => {
    await dropTestPrefix(prefix);
  });

  it('answers every accepted request, then exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    const server = await startServer({ WORKERS: '2', BALANCER: mode, LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix, SHUTDOWN_TIMEOUT_MS: '5000', DEFAULT_SALE_TOTAL: '100000' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 40 });
    const outcomes: Array<{ status: number; error?: string }> = [];
    let signalled = 0;
    let stop = false;
    const lanes = Array.from({ length: 40 }, async (_, lane) => {
      for (let i = 0; !stop; i++) {
        try {
          const reply = await request(`${server.url}/buy/ticket?user=l${lane}x${i}`, { agent });
          outcomes.push({ status: reply.status });
          if (reply.status === 503) return; // told to go away: a real client would retry elsewhere
        } catch (error) {
          outcomes.push({ status: 0, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
          return;
        }
        if (outcomes.length === 2000 && !signalled) {
          signalled = Date.now();
          server.child.kill('SIGTERM');
        }
      }
    });
    const exited = await Promise.race([server.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 8000))]);
    stop = true;
    await Promise.all(lanes);
    agent.destroy();
    assert.ok(exited, 'the server exited');
    assert.equal(exited.code, 0, server.output());
    const elapsed = Date.now() - signalled;
    const cut = outcomes.filter((o) => o.status === 0 && o.error !== 'ECONNREFUSED');
    assert.deepEqual(cut, [], 'no accepted request was left without an answer');
    assert.ok(outcomes.filter((o) => o.status === 201).length >= 2000);
    assert.match(server.output(), /SIGTERM: draining/);
    assert.match(server.output(), /stopped/);
    console.log(`# SIGTERM: exited 0 within ${elapsed} ms; ${outcomes.length} requests answered or refused`);
  });
});
