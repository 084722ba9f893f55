// The live line's WebSocket (/ws/sales/:id) says and takes the same things
// whichever server holds the connection: uWS (reuseport) or the worker's Node
// side (handoff, NodeWatchServer). Each rule is checked against both, with
// real sockets and a real cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { request } from '../helpers/client';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Watcher {
  readonly socket: WebSocket;
  readonly messages: any[];
}

async function watch(server: RunningServer, saleId: string): Promise<Watcher> {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws/sales/${saleId}`);
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, messages };
}

/** The raw answer to an upgrade request, up to the server's close or 2 s. */
function rawUpgrade(server: RunningServer, path: string, headers: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
    setTimeout(() => socket.destroy(), 2000);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`);
  });
}

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

for (const balancer of ['handoff', 'reuseport'] as const) {
  describe(`the live line's WebSocket, BALANCER=${balancer}`, () => {
    let server: RunningServer;
    let dataDir: string;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), `spike-watch-${balancer}-`));
      server = await startServer({ WORKERS: '2', BALANCER: balancer, LEDGER: 'embedded', DATA_DIR: dataDir, JOURNAL_FSYNC: 'off', QUEUE_TICK_MS: '100', QUEUE_PUSH_MS: '0' }, 60_000);
      for (const id of ['wp-a', 'wp-b']) {
        const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id, total: 100, admission: { mode: 'queue', difficulty: 0, admitPerSecond: 1000 } } });
        assert.equal(created.status, 201, created.text);
      }
    });

    after(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('pushes the line as it moves, to a watcher of the sale and to one that subscribed to it later', async () => {
      const first = await watch(server, 'wp-a');
      const second = await watch(server, 'wp-b');
      second.socket.send(JSON.stringify({ subscribe: 'wp-a' }));
      // The subscription is in place once the sale's latest figures come back on it.
      await eventually(() => second.messages.some((m) => m.saleId === 'wp-a') || null, 5000, 'the latest figures of wp-a on subscribing');
      for (let i = 0; i < 5; i++) assert.equal((await request(`${server.url}/api/sales/wp-a/queue`, { method: 'POST', body: { userId: `p${i}` } })).status, 201);
      for (const w of [first, second]) await eventually(() => w.messages.some((m) => m.saleId === 'wp-a' && m.type === 'status' && m.serving === 5) || null, 5000, 'serving 5 pushed');
      first.socket.close();
      second.socket.close();
    });

    it('answers a message that is not a subscription, and caps the sales one connection may watch', async () => {
      const w = await watch(server, 'wp-a');
      w.socket.send('hello');
      const usage = await eventually(() => w.messages.find((m) => m.type === 'error') ?? null, 5000, 'the usage answer');
      assert.deepEqual(usage, { type: 'error', code: 'invalid_field', message: 'send {"subscribe":"<sale id>"}' });
      for (let i = 1; i <= 4; i++) w.socket.send(JSON.stringify({ subscribe: `cap-${i}` }));
      const refusal = await eventually(() => w.messages.find((m) => m.code === 'too_many_subscriptions') ?? null, 5000, 'the fifth subscription refused');
      assert.equal(refusal.message, 'one connection watches at most 4 sales');
      w.socket.close();
    });

    it('refuses a malformed sale id with 400, and a handshake without a key', async () => {
      const badId = await rawUpgrade(server, '/ws/sales/bad%20id!', UPGRADE);
      assert.match(badId, /^HTTP\/1\.1 400 /);
      assert.match(badId, /sale id must be 1-64 characters/);
      const noKey = await rawUpgrade(server, '/ws/sales/wp-a', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n');
      assert.doesNotMatch(noKey, /^HTTP\/1\.1 101 /);
    });

    it(`is served by ${balancer === 'handoff' ? "the worker's Node side, not relayed to uWS" : 'uWS'}`, async () => {
      const answer = await rawUpgrade(server, '/ws/sales/wp-a', UPGRADE);
      assert.match(answer, /^HTTP\/1\.1 101 /);
      // uWS names itself in its 101; ws (NodeWatchServer) does not.
      if (balancer === 'handoff') assert.doesNotMatch(answer, /uwebsockets/i);
      else assert.match(answer, /uwebsockets/i);
    });

    it('still serves plain requests on the same port', async () => {
      assert.equal((await request(`${server.url}/api/sales/wp-a`)).status, 200);
    });
  });
}
