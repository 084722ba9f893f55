// The queue cell's lean watcher (bench/lean-watcher.ts) against the real
// server, behind the default balancer: it upgrades, and reads each push's
// serving counter and tick time as a `ws` client reads them from JSON.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { openLeanWatcher, type StatusSeen } from '../../bench/lean-watcher';
import { request } from '../helpers/client';
import { ADMIN_TOKEN, eventually, startServer } from '../helpers/server';

describe('the lean watcher', () => {
  it('reads the same serving counters and tick times as a ws client', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spike-lean-watcher-'));
    const server = await startServer({ WORKERS: '1', LEDGER: 'embedded', DATA_DIR: dataDir, QUEUE_TICK_MS: '100', QUEUE_PUSH_MS: '0' }, 60_000);
    try {
      const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { id: 'lean', total: 1000, admission: { mode: 'queue', difficulty: 0, admitPerSecond: 1000 } } });
      assert.equal(created.status, 201, created.text);
      const lean: StatusSeen[] = [];
      const full: StatusSeen[] = [];
      const socket = await openLeanWatcher('127.0.0.1', server.port, '/ws/sales/lean', (seen) => lean.push(seen));
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/sales/lean`);
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as StatusSeen;
        full.push({ serving: message.serving, at: message.at });
      });
      await new Promise((resolve) => ws.once('open', resolve));
      // Joins in waves, each once both watchers saw the last: three pushes at least.
      let joined = 0;
      for (const wave of [1, 10, 10]) {
        for (let i = 0; i < wave; i++) assert.equal((await request(`${server.url}/api/sales/lean/queue`, { method: 'POST', body: { userId: `w${joined++}` } })).status, 201);
        await eventually(async () => full.some((m) => m.serving >= joined) && lean.some((m) => m.serving >= joined), 10_000, `both watchers saw the line reach ${joined}`);
      }
      ws.terminate();
      socket.destroy();
      // Every push the ws client read after the lean one joined, the lean one read too, with the same figures.
      const leanByAt = new Map(lean.map((m) => [m.at, m.serving]));
      const both = full.filter((m) => leanByAt.has(m.at));
      assert.ok(both.length >= 3, `${both.length} pushes seen by both`);
      for (const m of both) assert.equal(leanByAt.get(m.at), m.serving);
      assert.ok(lean.every((m) => Number.isFinite(m.serving) && Number.isFinite(m.at) && m.at > 1.7e12));
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
