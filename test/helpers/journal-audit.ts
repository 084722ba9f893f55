// Opens a stopped server's embedded journal and checks the sale sold exactly
// its total, once per buyer, and that every order a buyer was told about is there.
import assert from 'node:assert/strict';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import type { Reply } from './client';

export async function assertJournalSoldExactly(dataDir: string, saleId: string, total: number, acknowledged: Iterable<Reply>): Promise<void> {
  const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
  try {
    const f = ledger.diagnostics.saleFigures(saleId)!;
    assert.deepEqual(
      { sold: f.sold, total: f.total, orders: f.orderCount, reserved: f.orders.reserved + f.orders.paid, buyers: f.buyers, held: f.held, requestKeys: f.requestKeys, overLimit: f.buyersOverLimit },
      { sold: total, total, orders: total, reserved: total, buyers: total, held: total, requestKeys: total, overLimit: 0 },
    );
    for (const reply of acknowledged) assert.equal((await ledger.getOrder(reply.body.orderId))?.userId, reply.body.userId);
  } finally {
    await ledger.close();
  }
}
