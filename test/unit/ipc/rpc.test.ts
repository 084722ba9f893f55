// IPC request/response over an in-memory channel pair that serializes every
// message as JSON, as Node's IPC does: batching, ordering, errors, timeouts,
// a closed channel, and the notices that are not RPC.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IpcEndpoint } from '../../../src/ipc/endpoint';
import type { SpikeMessage } from '../../../src/ipc/messages';
import { remoteMethods, serveMethods } from '../../../src/ipc/remote-methods';
import { RemoteError, IpcRpc, RpcTimeoutError } from '../../../src/ipc/rpc';

/** Two connected endpoints; `sent` counts the messages that crossed, `close()` cuts the channel. */
function channel() {
  const listeners: Array<Array<(message: unknown) => void>> = [[], []];
  const state = { open: true, sent: 0 };
  const end = (self: number): IpcEndpoint => ({
    send(message: SpikeMessage, callback) {
      state.sent++;
      const copy = JSON.parse(JSON.stringify(message)) as unknown;
      setImmediate(() => {
        for (const listener of listeners[1 - self]!) listener(copy);
        callback(null);
      });
    },
    onMessage: (listener) => void listeners[self]!.push(listener),
    isConnected: () => state.open,
  });
  return { a: end(0), b: end(1), state, close: () => void (state.open = false) };
}

describe('IpcRpc', () => {
  it('answers requests, many in one turn going as one message each way', async () => {
    const { a, b, state } = channel();
    const client = new IpcRpc(a);
    new IpcRpc(b, { add: (x: number, y: number) => x + y });
    const sums = await Promise.all(Array.from({ length: 50 }, (_, i) => client.request<number>('add', [i, 1], 1000)));
    assert.deepEqual(sums, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(state.sent, 2, '50 requests and 50 answers, batched per turn');
  });

  it("carries a handler's error and its code across", async () => {
    const { a, b } = channel();
    const client = new IpcRpc(a);
    new IpcRpc(b, { fail: () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ledger_unavailable' })) });
    await assert.rejects(client.request('fail', [], 1000), (error: unknown) => error instanceof RemoteError && error.message === 'disk full' && error.code === 'ledger_unavailable');
    await assert.rejects(client.request('missing', [], 1000), /no IPC handler for missing/);
  });

  it('times out when nobody answers, and fails at once on a closed channel', async () => {
    const { a, close } = channel();
    const client = new IpcRpc(a);
    await assert.rejects(client.request('void', [], 30), RpcTimeoutError);
    close();
    await assert.rejects(client.request('any', [], 10_000), /the IPC channel is closed/);
  });

  it('hands non-RPC spike messages to notice listeners and ignores foreign ones', async () => {
    const { a, b } = channel();
    const worker = new IpcRpc(a);
    const heard: SpikeMessage[] = [];
    worker.onNotice((message) => heard.push(message));
    b.send({ spike: 'stock-returned', saleId: 'g1' }, () => {});
    (b.send as (m: unknown, cb: () => void) => void)({ cmd: 'NODE_CLUSTER' }, () => {});
    b.send({ spike: 'shutdown' }, () => {});
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard, [{ spike: 'stock-returned', saleId: 'g1' }, { spike: 'shutdown' }]);
  });
});

describe('remote methods from one list', () => {
  interface Counter {
    add(n: number): Promise<number>;
    read(): Promise<number>;
  }
  it('serves and calls the same methods by name, with their arguments in order', async () => {
    const { a, b } = channel();
    let total = 0;
    const target: Counter = { add: async (n) => (total += n), read: async () => total };
    new IpcRpc(b, serveMethods<Counter, 'add' | 'read'>('counter', ['add', 'read'], target));
    const rpc = new IpcRpc(a);
    const remote = remoteMethods<Counter, 'add' | 'read'>('counter', ['add', 'read'], (method, args) => rpc.request(method, args, 1000));
    assert.equal(await remote.add(2), 2);
    assert.equal(await remote.add(5), 7);
    assert.equal(await remote.read(), 7);
  });
});
