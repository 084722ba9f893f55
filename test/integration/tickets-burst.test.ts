// A burst of 2,000 QR renders beside a purchase flood, on both ledgers: the
// purchase path's p99 during the burst against its p99 without it (before
// and after), measured in this one run and printed. Renders run in each
// worker's piscina pool at a lowered thread priority, so the purchase path
// should barely notice them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { purchaseWithRenderBurst } from '../../bench/tickets-load';
import { WrkGenerator } from '../../bench/load/wrk-generator';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';
import { dropLedgerKeys, ledgerEnv, type LedgerKind } from '../helpers/tickets';

/** The bound: the purchase p99 during the burst within 1.2x of without it. */
const P99_BOUND = 1.2;

for (const kind of ['embedded', 'redis'] as LedgerKind[]) {
  describe(`a render burst beside a purchase flood (${kind} ledger)`, () => {
    const env = { ...ledgerEnv(kind), DEFAULT_SALE_TOTAL: '100000000', DEFAULT_SALE_HOLD_SECONDS: '900', TICKET_THREADS: '1' };
    let server: RunningServer;
    before(async () => {
      server = await startServer(env);
    });
    after(async () => {
      await server?.stop();
      await dropLedgerKeys(env);
    });

    it('2,000 renders leave the purchase p99 within 1.2x of the p99 without them', { timeout: 300_000 }, async (t) => {
      const r = await purchaseWithRenderBurst({ url: server.url, adminToken: ADMIN_TOKEN }, { generator: new WrkGenerator(), connections: 50, phaseMs: 3000, renders: 2000, renderConnections: 16, firstId: 0 });
      const line =
        `${kind}: purchase p99 ${r.without.p99Ms.toFixed(2)} ms without, ${r.during.p99Ms.toFixed(2)} ms during, ${r.after.p99Ms.toFixed(2)} ms after the burst ` +
        `(ratio ${r.p99Ratio.toFixed(2)}); purchases ${Math.round(r.without.rps)}/s without, ${Math.round(r.during.rps)}/s during (ratio ${r.rpsRatio.toFixed(2)}); ` +
        `${r.burst.ok} renders in ${r.burst.seconds.toFixed(2)} s (${Math.round(r.burst.perSecond)}/s, p99 ${r.burst.p99Ms} ms)`;
      console.log(`# ${line}`);
      t.diagnostic(line);
      assert.equal(r.burst.ok, 2000, 'every render answered 200');
      for (const phase of [r.without, r.during, r.after]) {
        assert.ok(phase.responses > 0);
        assert.deepEqual(Object.keys(phase.statuses), ['201'], `every purchase reserved: ${JSON.stringify(phase.statuses)}`);
      }
      assert.ok(r.p99Ratio <= P99_BOUND, line);
    });
  });
}
