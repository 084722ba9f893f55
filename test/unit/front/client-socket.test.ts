// LeanClientSocket on real TCP connections: the raw handles come from a
// net.Server's listening handle, as the handoff balancer takes them, and the
// clients are plain net.Sockets.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LeanClientSocket, type ClientEvents, type TcpHandle } from '../../../src/front/client-socket';

interface Accepted {
  readonly lean: LeanClientSocket;
  readonly seen: { data: Buffer[]; ended: boolean; drains: number; closed: Promise<void> };
}

let server: net.Server;
let port = 0;
const waiting: Array<(handle: TcpHandle) => void> = [];

before(async () => {
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as net.AddressInfo).port;
  const listening = (server as unknown as { _handle: { onconnection: (error: number, handle: TcpHandle) => void } })._handle;
  listening.onconnection = (_error, handle) => waiting.shift()?.(handle);
});

after(() => server.close());

/** Connects a client and wraps the server's side in a LeanClientSocket that records what it hears. */
async function connect(events: Partial<ClientEvents> = {}, allowHalfOpen = false): Promise<{ client: net.Socket } & Accepted> {
  const handle = new Promise<TcpHandle>((resolve) => waiting.push(resolve));
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  const lean = new LeanClientSocket(await handle);
  let closed!: () => void;
  const seen = { data: [] as Buffer[], ended: false, drains: 0, closed: new Promise<void>((resolve) => (closed = resolve)) };
  lean.listen({
    data: (chunk) => (seen.data.push(chunk), events.data?.(chunk)),
    end: () => ((seen.ended = true), events.end?.()),
    drain: () => (seen.drains++, events.drain?.()),
    close: () => (closed(), events.close?.()),
  });
  return { client, lean, seen };
}

function readAll(client: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => client.once('end', () => resolve(Buffer.concat(chunks))));
}

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('LeanClientSocket', () => {
  it('hears the bytes, the peer address and the half-close, answers after it, then closes', async () => {
    const { client, lean, seen } = await connect();
    assert.equal(lean.remoteAddress, '127.0.0.1');
    const answer = readAll(client);
    client.end('hello');
    await until(() => seen.ended, 'the end of the request');
    assert.equal(Buffer.concat(seen.data).toString(), 'hello');
    lean.write(Buffer.from('answer'));
    lean.end();
    assert.equal((await answer).toString(), 'answer');
    await seen.closed;
    assert.equal(lean.destroyed, true);
  });

  it('after end() keeps reading to the client end of stream before it closes', async () => {
    // A client that stays half-open after the answer, so the server must wait for its end.
    const { client, lean, seen } = await connect({}, true);
    const answer = readAll(client);
    lean.write(Buffer.from('bye'));
    lean.end();
    assert.equal((await answer).toString(), 'bye');
    let closedYet = false;
    void seen.closed.then(() => (closedYet = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closedYet, false, 'closed before the client finished');
    client.end();
    await seen.closed;
  });

  it('counts bytes the kernel has not taken, reports the drain, and sends every byte before the end', async () => {
    const { client, lean, seen } = await connect();
    client.pause();
    const big = Buffer.alloc(32 * 1024 * 1024, 7);
    lean.write(big);
    assert.ok(lean.writableLength > 0, 'a 32 MiB write to a client that does not read should be pending');
    const received = readAll(client);
    client.resume();
    await until(() => seen.drains > 0, 'the drain');
    assert.equal(lean.writableLength, 0);
    lean.write(Buffer.from('tail'));
    lean.end();
    client.end();
    const all = await received;
    assert.equal(all.length, big.length + 4);
    assert.equal(all.subarray(big.length).toString(), 'tail');
    await seen.closed;
  });

  it('pause stops the reads and resume brings the held bytes', async () => {
    const { client, lean, seen } = await connect();
    lean.pause();
    client.write('held');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(seen.data.length, 0);
    lean.resume();
    await until(() => seen.data.length > 0, 'the held bytes');
    assert.equal(Buffer.concat(seen.data).toString(), 'held');
    lean.destroy();
    await seen.closed;
    client.destroy();
  });

  it('a client reset closes it without an end', async () => {
    const { client, seen } = await connect();
    client.resetAndDestroy();
    await seen.closed;
    assert.equal(seen.ended, false);
  });

  it('release() hands the connection on as a net.Socket that hears what comes next', async () => {
    const { client, lean, seen } = await connect();
    client.write('first');
    await until(() => seen.data.length > 0, 'the first bytes');
    const socket = lean.release();
    const next = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    client.write('second');
    assert.equal(await next, 'second');
    assert.equal(Buffer.concat(seen.data).toString(), 'first');
    const echoed = new Promise<string>((resolve) => client.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    socket.write('through net');
    assert.equal(await echoed, 'through net');
    socket.destroy();
    client.destroy();
  });
});
