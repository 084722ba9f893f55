// The front under odd and hostile clients, over real sockets to a real
// cluster, in both relaying modes: pipelined requests to async routes, a
// half-close after the request, HTTP/1.0 without Host, conflicting
// Content-Lengths, silent connections past the cap, and the idle timeout.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { request } from '../helpers/client';
import { exchange } from '../helpers/raw-http';
import { ADMIN_TOKEN, eventually, startServer, type RunningServer } from '../helpers/server';

const MODES = ['handoff', 'proxy'] as const;

function purchase(saleId: string, userId: string): string {
  const body = JSON.stringify({ userId });
  return `POST /api/sales/${saleId}/purchases HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

async function createSale(server: RunningServer, id: string, total: number): Promise<void> {
  const reply = await request(`${server.url}/api/sales`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { id, total } });
  assert.equal(reply.status, 201, reply.text);
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function workerPids(server: RunningServer): Promise<number[]> {
  const reply = await request(`${server.url}/api/cluster`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return reply.body.workers.map((w: { pid: number }) => w.pid);
}

for (const mode of MODES) {
  describe(`the front, BALANCER=${mode}`, () => {
    let server: RunningServer;
    let dataDir: string;
    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), `spike-front-${mode}-`));
      server = await startServer({ WORKERS: '2', BALANCER: mode, LEDGER: 'embedded', DATA_DIR: dataDir, JOURNAL_FSYNC: 'off' }, 60_000);
      await createSale(server, 'pipe', 1000);
    });
    after(async () => {
      assert.equal(await server.stop(), 0, server.output());
      rmSync(dataDir, { recursive: true, force: true });
    });

    for (const count of [1, 2, 10]) {
      it(`answers ${count} pipelined purchases, sale reads and health checks in one write, in order`, async () => {
        const requests: string[] = [];
        for (let i = 0; i < count; i++) {
          const kind = i % 3;
          if (kind === 0) requests.push(purchase('pipe', `${mode}-p${count}-${i}`));
          else if (kind === 1) requests.push('GET /api/sales/pipe HTTP/1.1\r\nHost: t\r\n\r\n');
          else requests.push('GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n');
        }
        const { answers } = await exchange(server.port, requests.join(''), { expect: count });
        assert.equal(answers.length, count, `${count} answers`);
        answers.forEach((answer, i) => {
          const kind = i % 3;
          const body = JSON.parse(answer.body);
          if (kind === 0) {
            assert.equal(answer.status, 201, answer.body);
            assert.equal(body.userId, `${mode}-p${count}-${i}`, 'answers come in the order asked');
          } else if (kind === 1) {
            assert.equal(answer.status, 200);
            assert.equal(body.id, 'pipe');
          } else {
            assert.equal(answer.status, 200);
            assert.equal(body.status, 'ok');
          }
        });
      });
    }

    for (const version of ['1.1', '1.0']) {
      it(`answers an HTTP/${version} client that half-closes after its request, for a purchase and a 404`, async () => {
        const body = JSON.stringify({ userId: `${mode}-half-${version.replace(".", "")}` });
        const buy = await exchange(
          server.port,
          `POST /api/sales/pipe/purchases HTTP/${version}\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          { halfClose: true },
        );
        assert.equal(buy.ended, 'end');
        assert.equal(buy.answers.length, 1);
        assert.equal(buy.answers[0]!.status, 201, buy.answers[0]!.body);
        const missing = await exchange(server.port, `GET /no/such/route HTTP/${version}\r\nHost: t\r\n\r\n`, { halfClose: true });
        assert.equal(missing.answers.length, 1);
        assert.equal(missing.answers[0]!.status, 404);
      });
    }

    it('answers two pipelined requests sent before a half-close', async () => {
      const { answers, ended } = await exchange(server.port, purchase('pipe', `${mode}-hp-1`) + 'GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n', { halfClose: true });
      assert.equal(ended, 'end');
      assert.deepEqual(answers.map((a) => a.status), [201, 200]);
    });

    it('answers HTTP/1.0 without a Host header', async () => {
      const { answers } = await exchange(server.port, 'GET /healthz HTTP/1.0\r\n\r\n');
      assert.equal(answers.length, 1);
      assert.equal(answers[0]!.status, 200);
    });

    it('refuses two different Content-Lengths with 400 bad_request, and starts no purchase', async () => {
      const body = JSON.stringify({ userId: `${mode}-smuggler` });
      const { answers } = await exchange(
        server.port,
        `POST /api/sales/pipe/purchases HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 5\r\n\r\n${body}`,
      );
      assert.equal(answers.length, 1);
      assert.equal(answers[0]!.status, 400);
      assert.equal(JSON.parse(answers[0]!.body).error.code, 'bad_request');
      const orders = await request(`${server.url}/api/sales/pipe/orders?limit=1000`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.ok(!orders.body.orders.some((o: { userId: string }) => o.userId === `${mode}-smuggler`));
    });

    it('takes the same Content-Length twice, and a chunked body', async () => {
      const body = JSON.stringify({ userId: `${mode}-chunked` });
      const { answers } = await exchange(
        server.port,
        `POST /api/sales/pipe/purchases HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` +
          `GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n`,
        { expect: 2 },
      );
      assert.deepEqual(answers.map((a) => a.status), [201, 200]);
    });
  });

  describe(`silent connections, BALANCER=${mode}`, () => {
    const CAP = 60;
    let server: RunningServer;
    let dataDir: string;
    const held: net.Socket[] = [];
    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), `spike-idle-${mode}-`));
      server = await startServer({ WORKERS: '2', BALANCER: mode, LEDGER: 'embedded', DATA_DIR: dataDir, JOURNAL_FSYNC: 'off', MAX_CONNECTIONS: String(CAP), IDLE_TIMEOUT_MS: '600000' }, 60_000);
    });
    after(async () => {
      for (const socket of held) socket.destroy();
      assert.equal(await server.stop(), 0, server.output());
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(`holds ${CAP * 4} idle connections against a cap of ${CAP} per process; a fresh client still gets /healthz within 1 s and fds stay bounded`, async () => {
      const relayPids = mode === 'proxy' ? [server.child.pid!] : await workerPids(server);
      const primaryBaseline = fdCount(server.child.pid!);
      assert.ok(relayPids.length >= 1);
      const baseline = relayPids.map(fdCount);
      let closedByServer = 0;
      await Promise.all(
        Array.from({ length: CAP * 4 }, () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(server.port, '127.0.0.1', () => resolve());
            socket.on('error', () => resolve());
            socket.on('close', () => closedByServer++);
            held.push(socket);
          }),
        ),
      );
      // The primary hands connections over as they come; wait until the relaying processes have them all (or closed the oldest).
      await eventually(() => closedByServer >= CAP * 4 - CAP * relayPids.length, 10_000, 'the oldest silent connections to be closed');
      const started = Date.now();
      const health = await request(`${server.url}/healthz`, { timeoutMs: 1000 });
      assert.equal(health.status, 200);
      assert.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`);
      relayPids.forEach((pid, i) => {
        const fds = fdCount(pid);
        assert.ok(fds <= baseline[i]! + CAP + 10, `process ${pid} holds ${fds} fds (baseline ${baseline[i]}, cap ${CAP})`);
      });
      if (mode === 'handoff') assert.ok(fdCount(server.child.pid!) <= primaryBaseline + 10, 'the primary keeps no client connection in handoff mode');
    });
  });
}

describe('the idle timeout', () => {
  it('closes a connection silent for IDLE_TIMEOUT_MS, in both relaying modes', async () => {
    for (const mode of MODES) {
      const dataDir = mkdtempSync(join(tmpdir(), `spike-idlet-${mode}-`));
      const server = await startServer({ WORKERS: '1', BALANCER: mode, LEDGER: 'embedded', DATA_DIR: dataDir, IDLE_TIMEOUT_MS: '300' }, 60_000);
      try {
        const socket = net.connect(server.port, '127.0.0.1');
        const opened = Date.now();
        const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
        socket.on('error', () => {});
        const ms = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(resolve, 5000, -1))]);
        socket.destroy();
        assert.ok(ms >= 250 && ms < 3000, `${mode}: closed after ${ms} ms`);
      } finally {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });

  it('keeps a WebSocket watcher that only listens open past IDLE_TIMEOUT_MS while the server pushes to it, in both relaying modes', async () => {
    for (const mode of MODES) {
      const dataDir = mkdtempSync(join(tmpdir(), `spike-idlews-${mode}-`));
      // Longer than the line's 1 s heartbeat, the one push an unchanging line gets.
      const server = await startServer({ WORKERS: '1', BALANCER: mode, LEDGER: 'embedded', DATA_DIR: dataDir, IDLE_TIMEOUT_MS: '1500', QUEUE_TICK_MS: '100' }, 60_000);
      try {
        const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { id: 'idlews', total: 5, admission: { mode: 'queue', difficulty: 0 } } });
        assert.equal(created.status, 201, created.text);
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/sales/idlews`);
        let messages = 0;
        let closedAfter = -1;
        const opened = Date.now();
        ws.on('message', () => messages++);
        ws.on('close', () => (closedAfter = Date.now() - opened));
        ws.on('error', () => {});
        // The watcher sends nothing for three idle timeouts; the line's heartbeat reaches it every second.
        await new Promise((resolve) => setTimeout(resolve, 4500));
        assert.equal(closedAfter, -1, `${mode}: the watcher was closed after ${closedAfter} ms`);
        assert.equal(ws.readyState, WebSocket.OPEN);
        assert.ok(messages >= 3, `${mode}: ${messages} pushes in 4.5 s`);
        ws.terminate();
      } finally {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});

describe('the open-file limit', () => {
  it('raises the soft limit to the hard one at start-up and logs both, and derives MAX_CONNECTIONS from it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spike-fdlimit-'));
    const server = await startServer({ WORKERS: '1', LEDGER: 'embedded', DATA_DIR: dataDir }, 60_000, ['prlimit', '--nofile=512:4096']);
    try {
      // Node itself raises the soft limit to the hard one as it starts; spike checks and logs the figure (and raises it with prlimit where a runtime did not).
      assert.match(server.output(), /open-file limit (raised from 512 to )?4096; MAX_CONNECTIONS 1920 client connections in each worker/);
      const limits = readFileSync(`/proc/${server.child.pid}/limits`, 'utf8');
      assert.match(limits, /Max open files\s+4096\s+4096/);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
