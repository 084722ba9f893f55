// The worker's cached view of sales: one ledger read per TTL however many ask,
// shared reads, unknown ids not kept, the sold count moving only up between
// reads, and invalidation. A fake ledger counts and scripts the reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SaleDirectory } from '../../../src/inventory/sale-directory';
import type { Ledger, Sale } from '../../../src/ledger';

function sale(id: string, sold = 0): Sale {
  return { id, name: id, total: 10, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null, anonymous: false, maxCancelsPerBuyer: 3, sold, paid: sold, createdAt: 0 };
}

/** A ledger whose getSale answers from a table (or fails), each read counted; a read can be held open. */
function fakeLedger(sales: Record<string, Sale | null | Error>) {
  const reads: string[] = [];
  let gate: Promise<void> | null = null;
  const ledger = {
    async getSale(saleId: string): Promise<Sale | null> {
      reads.push(saleId);
      if (gate) await gate;
      const answer = sales[saleId] ?? null;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as Ledger;
  return {
    ledger,
    reads,
    sales,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe('sale directory', () => {
  it('reads a sale once per TTL, however many callers ask', async () => {
    const fake = fakeLedger({ s: sale('s') });
    const directory = new SaleDirectory(fake.ledger, 60_000);
    assert.deepEqual(await directory.get('s'), sale('s'));
    assert.deepEqual(await directory.get('s'), sale('s'));
    assert.deepEqual(fake.reads, ['s']);
    assert.deepEqual(directory.peek('s'), sale('s'));
  });

  it('with a TTL of 0 every get reads again', async () => {
    const fake = fakeLedger({ s: sale('s') });
    const directory = new SaleDirectory(fake.ledger, 0);
    await directory.get('s');
    await directory.get('s');
    assert.equal(fake.reads.length, 2);
  });

  it('concurrent callers share one read in flight', async () => {
    const fake = fakeLedger({ s: sale('s', 3) });
    const directory = new SaleDirectory(fake.ledger, 60_000);
    const release = fake.hold();
    const both = Promise.all([directory.get('s'), directory.refresh('s'), directory.get('s')]);
    release();
    assert.deepEqual((await both).map((s) => s?.sold), [3, 3, 3]);
    assert.deepEqual(fake.reads, ['s']);
  });

  it('keeps no entry for an id the ledger does not know, so probing ids cannot grow it', async () => {
    const fake = fakeLedger({});
    const directory = new SaleDirectory(fake.ledger, 60_000);
    assert.equal(await directory.get('nope'), null);
    assert.equal(directory.peek('nope'), undefined);
    assert.equal(await directory.get('nope'), null);
    assert.equal(fake.reads.length, 2, 'an unknown id is asked again, not cached');
  });

  it('a failed read propagates; a sale known before stays, an unknown one leaves no entry', async () => {
    const fake = fakeLedger({ s: sale('s', 1), broken: new Error('ledger down') });
    const directory = new SaleDirectory(fake.ledger, 60_000);
    await assert.rejects(directory.get('broken'), /ledger down/);
    assert.equal(directory.peek('broken'), undefined);
    await directory.get('s');
    fake.sales.s = new Error('ledger down');
    await assert.rejects(directory.refresh('s'), /ledger down/);
    assert.deepEqual(directory.peek('s'), sale('s', 1), 'the last good view stays');
    fake.sales.s = sale('s', 2);
    assert.equal((await directory.refresh('s'))?.sold, 2, 'the failed read is not left in flight');
  });

  it('noteSold moves the cached count up only, and only for a cached sale', async () => {
    const fake = fakeLedger({ s: sale('s', 4) });
    const directory = new SaleDirectory(fake.ledger, 60_000);
    directory.noteSold('s', 9);
    assert.equal(directory.peek('s'), undefined);
    await directory.get('s');
    directory.noteSold('s', 3);
    assert.equal(directory.peek('s')?.sold, 4);
    directory.noteSold('s', 4);
    assert.equal(directory.peek('s')?.sold, 4);
    directory.noteSold('s', 6);
    assert.equal(directory.peek('s')?.sold, 6);
    assert.equal(directory.peek('s')?.total, 10, 'the rest of the sale is kept');
  });

  it('after invalidate the next get reads again, within the TTL', async () => {
    const fake = fakeLedger({ s: sale('s', 1) });
    const directory = new SaleDirectory(fake.ledger, 60_000);
    await directory.get('s');
    fake.sales.s = sale('s', 5);
    directory.invalidate('s');
    directory.invalidate('unknown');
    assert.equal((await directory.get('s'))?.sold, 5);
    assert.equal(fake.reads.length, 2);
  });

  it('remember caches a sale without a read', async () => {
    const fake = fakeLedger({});
    const directory = new SaleDirectory(fake.ledger, 60_000);
    directory.remember(sale('r', 2));
    assert.equal((await directory.get('r'))?.sold, 2);
    assert.equal(fake.reads.length, 0);
  });

  it('reload waits for a read already in flight, then reads again', async () => {
    const fake = fakeLedger({ s: sale('s', 1) });
    const directory = new SaleDirectory(fake.ledger, 60_000);
    const release = fake.hold();
    const first = directory.get('s');
    fake.sales.s = sale('s', 7);
    const reloaded = directory.reload('s');
    release();
    await first;
    assert.equal((await reloaded)?.sold, 7);
    assert.equal(fake.reads.length, 2);
  });
});
