// The renderer's bound on waiting renders, on a real piscina pool (one real
// render thread): renders past the thread and maxWaiting are refused at once
// with 503 tickets_busy and a retry-after, the accepted ones all finish, and
// once they have, the renderer takes work again. And each thread's report of
// its own priority: lowered to SCHED_IDLE with chrt on PATH, not without.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { SpikeError } from '../../../src/errors/errors';
import { TicketRenderer, verifyTicket, type TicketPayload } from '../../../src/tickets';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

function payload(i: number): TicketPayload {
  return { ticketId: `T-s.${i}`, orderId: `s.${i}`, saleId: 's', userId: `u${i}`, issuedAt: 1_700_000_000_000, saleName: 'Show', opensAt: null, closesAt: null };
}

describe('TicketRenderer: a bounded wait', () => {
  const renderer = new TicketRenderer({ privateKey, threads: 1, nice: 0, maxWaiting: 2 });
  after(() => renderer.close());

  it('refuses renders past the one being drawn and maxWaiting, with tickets_busy and a retry-after; the accepted ones finish', async () => {
    // All asked for in one turn of the event loop, so none can have finished when the next is asked.
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => renderer.render({ payload: payload(i), format: 'png' })));
    const done = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(done.length, 3, 'one drawing and two waiting');
    assert.equal(refused.length, 5);
    assert.equal(renderer.refused, 5);
    for (const { reason } of refused) {
      assert.ok(reason instanceof SpikeError, String(reason));
      assert.equal(reason.status, 503);
      assert.equal(reason.code, 'tickets_busy');
      assert.match(reason.message, /for 2 other requests; retry in \d+ s/);
      assert.ok(Number(reason.headers?.['retry-after']) >= 1);
    }
    for (const [i, outcome] of outcomes.slice(0, 3).entries()) {
      assert.equal(outcome.status, 'fulfilled');
      const rendered = (outcome as PromiseFulfilledResult<Awaited<ReturnType<TicketRenderer['render']>>>).value;
      assert.deepEqual(verifyTicket(rendered.ticket, publicKey), payload(i), 'the first three asked are the ones drawn');
      assert.ok(rendered.image && rendered.image.length > 0);
    }
  });

  it('takes work again once the waiting renders are done', async () => {
    const again = await Promise.all(Array.from({ length: 3 }, (_, i) => renderer.render({ payload: payload(10 + i), format: 'json' })));
    assert.equal(again.length, 3);
    assert.equal(renderer.refused, 5, 'nothing more refused');
  });
});

describe('TicketRenderer: each thread says whether it lowered its priority', () => {
  function priorities(path: string | undefined): Promise<{ threads: number; notLowered: number }> {
    return new Promise((resolve) => {
      const saved = process.env.PATH;
      // A worker thread takes a copy of the environment when it starts, which piscina does at construction.
      process.env.PATH = path;
      const renderer = new TicketRenderer({ privateKey, threads: 2, nice: 'idle', maxWaiting: 1, onPriorities: (report) => void renderer.close().then(() => resolve(report)) });
      process.env.PATH = saved;
    });
  }

  it('every thread lowered with chrt on PATH', async () => {
    assert.deepEqual(await priorities(process.env.PATH), { threads: 2, notLowered: 0 });
  });

  it('every thread says it could not without chrt', async () => {
    assert.deepEqual(await priorities('/nonexistent'), { threads: 2, notLowered: 2 });
  });
});
