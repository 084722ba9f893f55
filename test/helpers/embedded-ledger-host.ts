// A child process that holds an EmbeddedLedger and serves it over its IPC
// channel with the same handlers the cluster primary uses, so tests can drive
// the real worker-side remote ledger across a real process boundary.
import { parentEndpoint } from '../../src/ipc/endpoint';
import type { ReadyMessage, SaleChangedMessage, SeatsReleasedMessage, StockReturnedMessage } from '../../src/ipc/messages';
import { IpcRpc } from '../../src/ipc/rpc';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import { ledgerHandlers } from '../../src/ledger/remote-ledger';

const ledger = EmbeddedLedger.open({ dataDir: process.env.DATA_DIR!, fsync: (process.env.JOURNAL_FSYNC as 'batch' | 'off') ?? 'batch' });
const endpoint = parentEndpoint();
new IpcRpc(endpoint, {
  ...ledgerHandlers(ledger),
  // Closes the journal; the test then disconnects, which ends this process.
  'host.stop': async () => {
    await ledger.close();
    return true;
  },
});
// As the cluster primary does: returned stock is told to the worker side as a process message.
ledger.onStockReturned((saleId) => {
  const message: StockReturnedMessage = { spike: 'stock-returned', saleId };
  if (endpoint.isConnected()) endpoint.send(message, () => {});
});
ledger.onSeatsReleased((release) => {
  const message: SeatsReleasedMessage = { spike: 'seats-released', ...release };
  if (endpoint.isConnected()) endpoint.send(message, () => {});
});
ledger.onSaleChanged((saleId) => {
  const message: SaleChangedMessage = { spike: 'sale-changed', saleId };
  if (endpoint.isConnected()) endpoint.send(message, () => {});
});
process.on('disconnect', () => process.exit(0));
const ready: ReadyMessage = { spike: 'ready' };
endpoint.send(ready, () => {});
