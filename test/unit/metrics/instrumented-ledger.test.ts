// The instrumented ledger over a stand-in ledger: every call timed by
// command, errors counted by kind, slow calls and outages reported once, and
// the inner ledger's own state left alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LedgerUnavailableError } from '../../../src/errors/errors';
import { LEDGER_COMMANDS, type Ledger } from '../../../src/ledger';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { instrumentLedger, LedgerTally } from '../../../src/metrics';
import { tempDir } from '../../helpers/temp-dir';

function fakeLedger(behaviour: { delayMs?: number; fail?: () => Error | null }) {
  const inner = {
    closed: false,
    description: 'fake ledger',
    async ping() {
      if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      const error = behaviour.fail?.();
      if (error) throw error;
    },
    async expireHolds(_saleId: string, _now: number, limit: number) {
      return Math.min(limit, 3);
    },
    async close() {
      this.closed = true;
    },
    async onStockReturned() {},
    async onSaleChanged() {},
  };
  // The commands these tests do not call answer null.
  const rest = LEDGER_COMMANDS.filter((name) => !(name in inner));
  return Object.assign(inner, Object.fromEntries(rest.map((name) => [name, async () => null])));
}

function watch() {
  const events: string[] = [];
  return {
    events,
    watcher: {
      slowCall: (command: string, ms: number) => events.push(`slow ${command} ${ms >= 30}`),
      outage: (command: string) => events.push(`outage ${command}`),
      recovered: (_ms: number, failed: number) => events.push(`recovered ${failed}`),
    },
  };
}

describe('instrumentLedger', () => {
  it('times calls by command and reports a slow one', async () => {
    const tally = new LedgerTally();
    const { events, watcher } = watch();
    const ledger = instrumentLedger(fakeLedger({ delayMs: 40 }) as unknown as Ledger, { tally, slowMs: 30, watcher });
    await ledger.ping();
    assert.equal(tally.command('ping').count, 1);
    assert.ok(tally.command('ping').sum >= 0.03, String(tally.command('ping').sum));
    assert.deepEqual(events, ['slow ping true']);
    assert.equal(ledger.description, 'fake ledger');
  });

  it('reports an outage once, counts every failed call, and reports the recovery', async () => {
    const tally = new LedgerTally();
    const { events, watcher } = watch();
    let down = true;
    const ledger = instrumentLedger(fakeLedger({ fail: () => (down ? new LedgerUnavailableError('no answer') : null) }) as unknown as Ledger, { tally, slowMs: 1000, watcher });
    for (let i = 0; i < 3; i++) await assert.rejects(ledger.ping(), LedgerUnavailableError);
    down = false;
    await ledger.ping();
    await ledger.ping();
    assert.deepEqual(events, ['outage ping', 'recovered 3']);
    assert.equal(tally.errors.get('unavailable'), 3);
    assert.equal(tally.command('ping').count, 5);
  });

  it('counts other errors as kind "error" without calling it an outage', async () => {
    const tally = new LedgerTally();
    const { events, watcher } = watch();
    const ledger = instrumentLedger(fakeLedger({ fail: () => new Error('bug') }) as unknown as Ledger, { tally, slowMs: 1000, watcher });
    await assert.rejects(ledger.ping(), /bug/);
    assert.deepEqual(events, []);
    assert.equal(tally.errors.get('error'), 1);
  });

  it('passes every ledger command through, timed', async () => {
    const tally = new LedgerTally();
    const ledger = instrumentLedger(fakeLedger({}) as unknown as Ledger, { tally, slowMs: 1000, watcher: watch().watcher });
    await ledger.updateSale('s', {}, Date.now());
    await ledger.deleteSale('s');
    await ledger.onSaleChanged(() => {});
    assert.equal(tally.command('updateSale').count, 1);
    assert.equal(tally.command('deleteSale').count, 1);
  });

  it('tells how many holds each sweep released, and leaves the inner ledger its own state', async () => {
    const released: Array<[string, number]> = [];
    const inner = fakeLedger({});
    const ledger = instrumentLedger(inner as unknown as Ledger, { tally: new LedgerTally(), slowMs: 1000, watcher: watch().watcher, holdsExpired: (sale, n) => released.push([sale, n]) });
    assert.equal(await ledger.expireHolds('s1', Date.now(), 500), 3);
    assert.deepEqual(released, [['s1', 3]]);
    await ledger.close();
    assert.equal(inner.closed, true);
  });
});

it('wraps every member of a real ledger: none goes missing behind the wrapper (a worker calls onSaleChanged at start)', async () => {
  const inner = EmbeddedLedger.open({ dataDir: tempDir('spike-instrumented-'), fsync: 'off' });
  try {
    const wrapped = instrumentLedger(inner, { tally: new LedgerTally(), slowMs: 1000, watcher: { slowCall() {}, outage() {}, recovered() {} } });
    const members = Object.getOwnPropertyNames(Object.getPrototypeOf(inner)).filter((name) => name !== 'constructor' && typeof (inner as unknown as Record<string, unknown>)[name] === 'function');
    const ledgerMembers = members.filter((name) => !['run', 'read', 'announce', 'checkHealthy'].includes(name));
    for (const name of ledgerMembers) assert.equal(typeof (wrapped as unknown as Record<string, unknown>)[name], 'function', `${name} is wrapped`);
    assert.ok(ledgerMembers.includes('onSaleChanged') && ledgerMembers.includes('updateSale'));
    await wrapped.createSale({ id: 'w', name: 'w', total: 1, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 1e12);
    assert.equal((await wrapped.updateSale('w', { total: 2 }, 1e12)).kind, 'updated');
  } finally {
    await inner.close();
  }
});
