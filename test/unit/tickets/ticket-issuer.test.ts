// The primary's ticket issuer against a real embedded ledger: it issues every
// due ticket once, in batches, and counts its ledger calls (which tests and
// the bench subtract from Redis's count of scripts to count purchases).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { TicketIssuer } from '../../../src/tickets';
import { tempDir } from '../../helpers/temp-dir';

it('issues every due ticket once in batches, and counts one ledger call per batch it asked for', async () => {
  const ledger = EmbeddedLedger.open({ dataDir: tempDir('spike-issuer-'), fsync: 'off' });
  try {
    const now = 1e12;
    await ledger.createSale({ id: 'paid', name: 'paid', total: 5, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, now);
    await ledger.createSale({ id: 'empty', name: 'empty', total: 5, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, now);
    for (let i = 0; i < 5; i++) {
      const outcome = await ledger.reserve({ saleId: 'paid', userId: `u${i}`, requestKey: `k:${i}`, orderId: `paid.o${i}`, now });
      assert.equal(outcome.kind, 'reserved');
    }
    const issuer = new TicketIssuer(ledger, { intervalMs: 60_000, batch: 2, saleListRefreshMs: 0, warn: () => {} });
    // 'paid': batches of 2, 2, 1 (the short one ends the loop); 'empty': one call that finds nothing.
    assert.equal(await issuer.issue(now), 5);
    assert.equal(issuer.ledgerCalls, 4);
    assert.equal(await issuer.issue(now), 0, 'nothing is issued twice');
    assert.equal(issuer.ledgerCalls, 6);
    assert.equal(issuer.issued, 5);
    assert.equal((await ledger.ticketCounts('paid'))?.issued, 5);
  } finally {
    await ledger.close();
  }
});
