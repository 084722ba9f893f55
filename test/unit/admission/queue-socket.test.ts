// What the live line pushes to watchers, and how often: at most one changed
// push per QUEUE_PUSH_MS with the latest tick's figures, and a heartbeat of
// unchanged figures. uWS is replaced by an app that records what is published.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TemplatedApp } from 'uWebSockets.js';
import { QueueSocket } from '../../../src/admission/queue-socket';
import type { WorkerAdmission } from '../../../src/admission/worker-admission';
import type { QueueStatus, Sale } from '../../../src/ledger';

function socket(pushMs: number) {
  const published: Array<{ status: string; serving: number; inLine: number; remaining: number; at: number }> = [];
  const app = { ws: () => app, publish: (_topic: string, message: string) => published.push(JSON.parse(message)) } as unknown as TemplatedApp;
  const admission = {
    statusMessage: (_sale: Sale, status: QueueStatus) => ({ status: status.sold >= status.total ? 'sold_out' : 'open', serving: status.serving, inLine: status.pre + status.post, remaining: status.total - status.sold, at: status.at }),
  } as unknown as WorkerAdmission;
  const sale = { id: 'q' } as Sale;
  return { queue: new QueueSocket(app, admission, () => sale, pushMs), published };
}

const status = (serving: number, at: number, post = 100, sold = 0): QueueStatus => ({ saleId: 'q', serving, pre: 0, post, drawn: true, expiredBelow: 0, total: 10, sold, paid: sold, at });

describe('queue socket pushes', () => {
  it('pushes a changed line at most once per pushMs, then with the latest tick, and an unchanged one once a second', () => {
    const { queue, published } = socket(250);
    for (let tick = 0; tick <= 10; tick++) queue.publish([status(tick, 1000 + tick * 100)], 1000 + tick * 100);
    // Ticks every 100 ms, each moving the line: pushed at 0, 300, 600 and 900 ms (the first tick at least 250 ms after the last push).
    assert.deepEqual(published.map((p) => p.serving), [0, 3, 6, 9]);
    assert.deepEqual(published.map((p) => p.at), [1000, 1300, 1600, 1900], 'each push carries its own tick, not a held-back one');
    // The line stops moving: one heartbeat after a second of silence.
    for (let tick = 11; tick <= 25; tick++) queue.publish([status(10, 1000 + tick * 100)], 1000 + tick * 100);
    assert.deepEqual(published.map((p) => p.serving), [0, 3, 6, 9, 10, 10]);
  });

  it('throttles by the ticks\' own stamps: ticks one push interval apart are each pushed, however unevenly they arrive', () => {
    const { queue, published } = socket(250);
    // Ticks stamped every 250 ms (the defaults), delivered to this worker 0-120 ms late and unevenly.
    const delays = [0, 120, 5, 90, 0, 60];
    delays.forEach((delay, tick) => queue.publish([status(tick, 1000 + tick * 250)], 1000 + tick * 250 + delay));
    assert.deepEqual(published.map((p) => p.serving), [0, 1, 2, 3, 4, 5]);
  });

  it('a line that only grows (joins, no move) is pushed once a heartbeat, with its length', () => {
    const { queue, published } = socket(250);
    // A join flood: every 250 ms tick adds 1,000 to the line, the serving counter stays put.
    for (let tick = 0; tick <= 8; tick++) queue.publish([status(5, 1000 + tick * 250, 100 + tick * 1000)], 1000 + tick * 250);
    assert.deepEqual(published.map((p) => p.inLine), [100, 4100, 8100], 'the first tick, then one a second');
    // The counter moves: pushed at once, with the length as it stands.
    queue.publish([status(6, 1000 + 9 * 250, 9100)], 1000 + 9 * 250);
    assert.deepEqual(published.at(-1), { status: 'open', serving: 6, inLine: 9100, remaining: 10, at: 1000 + 9 * 250 });
  });

  it('a sale whose stock only falls (purchases, no move) is pushed once a heartbeat, with its stock; sold out goes at once', () => {
    const { queue, published } = socket(250);
    // Admitted buyers buy one ticket per 250 ms tick; the serving counter stays put.
    for (let tick = 0; tick <= 8; tick++) queue.publish([status(5, 1000 + tick * 250, 100, tick)], 1000 + tick * 250);
    assert.deepEqual(published.map((p) => p.remaining), [10, 6, 2], 'the first tick, then one a second');
    // The last ticket goes: the status changes, pushed at the next tick past pushMs, not a heartbeat later.
    queue.publish([status(5, 1000 + 9 * 250, 100, 10)], 1000 + 9 * 250);
    assert.deepEqual(published.at(-1), { status: 'sold_out', serving: 5, inLine: 100, remaining: 0, at: 1000 + 9 * 250 });
  });

  it('with pushMs 0 every change goes out at once', () => {
    const { queue, published } = socket(0);
    for (let tick = 0; tick < 5; tick++) queue.publish([status(tick, tick * 100)], tick * 100);
    assert.deepEqual(published.map((p) => p.serving), [0, 1, 2, 3, 4]);
  });
});
