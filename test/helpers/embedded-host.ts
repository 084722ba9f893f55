// Starts test/helpers/embedded-ledger-host.ts as a real child process and
// gives the test the worker-side ledger that reaches it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { childEndpoint } from '../../src/ipc/endpoint';
import { isSpikeMessage } from '../../src/ipc/messages';
import { IpcRpc } from '../../src/ipc/rpc';
import type { Ledger } from '../../src/ledger';
import { remoteLedger } from '../../src/ledger/remote-ledger';

export interface EmbeddedHost {
  readonly child: ChildProcess;
  readonly rpc: IpcRpc;
  readonly ledger: Ledger;
  stop(): Promise<void>;
}

export async function startEmbeddedHost(dataDir: string, timeoutMs = 2000): Promise<EmbeddedHost> {
  const child = fork(join(__dirname, 'embedded-ledger-host.js'), [], { env: { ...process.env, DATA_DIR: dataDir, JOURNAL_FSYNC: 'batch' }, serialization: 'json', stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ledger host exited with ${code}`)));
    child.on('message', (m) => isSpikeMessage(m) && m.spike === 'ready' && resolve());
  });
  const rpc = new IpcRpc(childEndpoint(child, () => child.connected));
  return {
    child,
    rpc,
    ledger: remoteLedger(rpc, { description: 'embedded over IPC', timeoutMs }),
    async stop() {
      if (!child.connected) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await rpc.request('host.stop', [], 5000);
      child.disconnect();
      await exited;
    },
  };
}
