// Per-connection backpressure on the live line's watchers behind
// BALANCER=handoff (NodeWatchServer), over real loopback sockets: a watcher
// that stops reading is skipped once MAX_BACKPRESSURE bytes wait for it, so
// the worker never queues without bound for one slow phone; a watcher that
// reads keeps getting every push; and the slow one, once it reads again,
// gets the next push (which supersedes the ones it missed).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { NodeWatchServer } from '../../../src/admission/node-watch-server';
import { MAX_BACKPRESSURE } from '../../../src/admission/watch-protocol';
import { isFramingError, parseRequestHead } from '../../../src/front/http-framing';

describe('watchers behind handoff: per-connection backpressure', () => {
  const watch = new NodeWatchServer({ latest: () => undefined, guard: undefined });
  /** The server's end of each watcher's connection, in the order they connected. */
  const serverSockets: net.Socket[] = [];
  let listener: net.Server;
  let port = 0;
  const clients: WebSocket[] = [];

  before(async () => {
    listener = net.createServer((socket) => {
      let bytes = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        const head = parseRequestHead(bytes, '127.0.0.1');
        if (head === null) return;
        socket.off('data', onData);
        assert.ok(!isFramingError(head));
        serverSockets.push(socket);
        watch.serverFor(head)!(socket, bytes.subarray(0, head.headLength), head.headLength < bytes.length ? bytes.subarray(head.headLength) : null);
      };
      socket.on('data', onData);
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const client of clients) client.terminate();
    for (const socket of serverSockets) socket.destroy();
    await new Promise((resolve) => listener.close(resolve));
  });

  async function connect(): Promise<{ ws: WebSocket; messages: string[] }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/sales/BP1`);
    clients.push(ws);
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(String(data)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return { ws, messages };
  }

  it('skips a watcher that stops reading once MAX_BACKPRESSURE bytes wait for it, keeps pushing to the others, and resumes it at the next push', async () => {
    const slow = await connect();
    const fast = await connect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [slowSide, fastSide] = serverSockets as [net.Socket, net.Socket];
    // The slow phone stops reading: its kernel buffers fill, then bytes queue in the worker.
    (slow.ws as unknown as { _socket: net.Socket })._socket.pause();
    const filler = 'x'.repeat(4096);
    const pushes = 4000;
    let worstQueued = 0;
    for (let i = 0; i < pushes; i++) {
      watch.publish('BP1', JSON.stringify({ seq: i, filler }));
      worstQueued = Math.max(worstQueued, slowSide.writableLength);
      // Let the fast watcher read as it goes, as a phone on a good line would.
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
    }
    const frame = 4096 + 100;
    assert.ok(worstQueued > MAX_BACKPRESSURE, `the slow watcher's queue reached ${worstQueued} bytes: the kernel buffers never filled, so this run proves nothing`);
    assert.ok(worstQueued <= MAX_BACKPRESSURE + frame, `${worstQueued} bytes queued for one watcher, past ${MAX_BACKPRESSURE} and one push`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(fastSide.writableLength, 0);
    assert.equal(JSON.parse(fast.messages.at(-1)!).seq, pushes - 1, 'the reading watcher got the last push');
    // The slow one reads again, drains, and the next push reaches it.
    (slow.ws as unknown as { _socket: net.Socket })._socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(slowSide.writableLength, 0, 'drained');
    const skipped = pushes - slow.messages.length;
    assert.ok(skipped > 0, 'the slow watcher missed pushes while it did not read');
    watch.publish('BP1', JSON.stringify({ seq: pushes }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(JSON.parse(slow.messages.at(-1)!).seq, pushes, 'the next push reached it');
  });
});
