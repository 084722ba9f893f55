// The worker's stock path over a real (in-process, journaled) embedded ledger:
// how often it asks the ledger, and that a sold-out sale stays on the fast path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StockKeeper } from '../../src/inventory/stock-keeper';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import type { Ledger } from '../../src/ledger/ledger';

/** The real ledger, with its reads and reservations counted. */
function counted(ledger: Ledger) {
  const calls = { getSale: 0, reserve: 0 };
  const proxy = new Proxy(ledger, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'getSale' || key === 'reserve') {
        return (...args: unknown[]) => {
          calls[key]++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ledger: proxy, calls };
}

describe('stock keeper', () => {
  let dataDir: string;
  let embedded: EmbeddedLedger;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'spike-keeper-'));
    embedded = EmbeddedLedger.open({ dataDir, fsync: 'off' });
  });
  after(async () => {
    await embedded.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sells its share, then answers sold-out buyers without the ledger, re-reading at most about once a second', async () => {
    const { ledger, calls } = counted(embedded);
    const keeper = new StockKeeper(ledger, { weight: 1, totalWeight: 1, localBuffer: 2, allowanceRefreshMs: 20, saleViewTtlMs: 100 });
    await keeper.listening;
    await ledger.createSale({ id: 'fast', name: 'fast', total: 5, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, Date.now());
    const bought = await Promise.all(Array.from({ length: 5 }, (_, i) => keeper.purchase('fast', `b${i}`)));
    assert.equal(bought.length, 5);
    await assert.rejects(keeper.purchase('fast', 'late'), { code: 'sold_out' });
    const reservations = calls.reserve;
    assert.ok(reservations <= 5 + 2, `reservations ${reservations}`);

    // 2.5 s of sold-out traffic: the fast path answers, and the ledger is read about once a second.
    const readsBefore = calls.getSale;
    const started = Date.now();
    let fast = 0;
    let slow = 0;
    while (Date.now() - started < 2500) {
      if (keeper.quickRefusal('fast', undefined, Date.now())) fast++;
      else {
        slow++;
        await assert.rejects(keeper.purchase('fast', `s${slow}`), { code: 'sold_out' });
      }
      if ((fast + slow) % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(calls.reserve, reservations, 'no reservation for a sold-out sale');
    const reads = calls.getSale - readsBefore;
    assert.ok(reads >= 1 && reads <= 4, `ledger reads in 2.5 s: ${reads}`);
    assert.ok(slow <= 10, `only the re-checks leave the fast path, got ${slow} of ${fast + slow}`);
  });

  it('sells returned stock again once told, without waiting for the re-check', async () => {
    const { ledger } = counted(embedded);
    const keeper = new StockKeeper(ledger, { weight: 1, totalWeight: 1, localBuffer: 0, allowanceRefreshMs: 20, saleViewTtlMs: 100 });
    await keeper.listening;
    await ledger.createSale({ id: 'back', name: 'back', total: 1, perUserLimit: 1, holdSeconds: 60, opensAt: null, closesAt: null }, Date.now());
    const first = await keeper.purchase('back', 'alice');
    await assert.rejects(keeper.purchase('back', 'bob'), { code: 'sold_out' });
    assert.ok(keeper.quickRefusal('back', undefined, Date.now()));
    await ledger.cancel(first.order.orderId, 'alice', Date.now());
    // The ledger announced the return to the keeper: the next buyer gets the ticket.
    const again = await keeper.purchase('back', 'bob');
    assert.equal(again.order.userId, 'bob');
  });
});
