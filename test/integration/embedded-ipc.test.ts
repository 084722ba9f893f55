// The embedded ledger across a real process boundary: its DATA_DIR lock, and
// what a worker hears when the primary holding the ledger dies or stalls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LedgerUnavailableError } from '../../src/errors/errors';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import { remoteLedger } from '../../src/ledger/remote-ledger';
import { startEmbeddedHost as startHost } from '../helpers/embedded-host';
import { tempDir } from '../helpers/temp-dir';

const tempDataDir = () => tempDir('spike-embedded-');

describe('embedded ledger over IPC', () => {
  it('refuses a DATA_DIR another live process holds, and takes over one a dead process left', async () => {
    const dataDir = tempDataDir();
    const host = await startHost(dataDir);
    assert.throws(() => EmbeddedLedger.open({ dataDir, fsync: 'batch' }), new RegExp(`DATA_DIR ${dataDir} is in use by another spike .*pid ${host.child.pid} on host`));
    host.child.kill('SIGKILL');
    await new Promise((resolve) => host.child.once('exit', resolve));
    const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    await ledger.close();
  });

  it('a worker whose primary is gone gets ledger_unavailable at once', async () => {
    const host = await startHost(tempDataDir());
    host.child.kill('SIGKILL');
    await new Promise((resolve) => host.child.once('exit', resolve));
    await assert.rejects(host.ledger.getSale('any'), LedgerUnavailableError);
  });

  it('a primary that does not answer in time becomes ledger_unavailable', async () => {
    const host = await startHost(tempDataDir());
    const slow = remoteLedger(host.rpc, { description: 'x', timeoutMs: 50 });
    host.child.kill('SIGSTOP');
    try {
      await assert.rejects(slow.ping(), (error: unknown) => error instanceof LedgerUnavailableError && /LEDGER_TIMEOUT_MS=50/.test(error.message));
    } finally {
      host.child.kill('SIGCONT');
    }
    await host.stop();
  });

});
