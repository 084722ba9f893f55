// A child process that holds an EmbeddedLedger and serves it over its IPC
// channel with the same handlers the cluster primary uses, so tests can drive
// the real worker-side IpcLedger across a real process boundary.
import { IpcRpc, type IpcEndpoint } from '../../src/cluster/ipc-rpc';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import { ledgerIpcHandlers, stockReturnedMessage } from '../../src/ledger/embedded/ipc-ledger';

const ledger = EmbeddedLedger.open({ dataDir: process.env.DATA_DIR!, fsync: (process.env.JOURNAL_FSYNC as 'batch' | 'off') ?? 'batch' });
const rpc: IpcRpc = new IpcRpc(process as unknown as IpcEndpoint, {
  ...ledgerIpcHandlers(ledger),
  'host.stop': async () => {
    await ledger.close();
    // The answer is queued once this returns; send it, then exit.
    setImmediate(() => void rpc.flushNow().then(() => process.exit(0)));
    return true;
  },
});
// As the cluster primary does: returned stock is told to the worker side as a process message.
ledger.onStockReturned((saleId) => {
  if (process.connected) process.send!(stockReturnedMessage(saleId), () => {});
});
process.on('disconnect', () => process.exit(0));
process.send!({ host: 'ready' });
