// The embedded ledger held to the one contract, both in-process and through
// the real IPC path a worker uses (a forked process serving it).
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import { startEmbeddedHost } from '../helpers/embedded-host';
import { tempDir } from '../helpers/temp-dir';
import { ledgerContract } from './ledger-contract';

ledgerContract('embedded, in-process', async () => {
  const ledger = EmbeddedLedger.open({ dataDir: tempDir('spike-embedded-'), fsync: 'batch' });
  return { ledger, close: () => ledger.close() };
});

ledgerContract('embedded, over cluster IPC from another process', async () => {
  const host = await startEmbeddedHost(tempDir('spike-embedded-'));
  return { ledger: host.ledger, close: () => host.stop() };
});
