// The primary process: opens the ledger, makes sure the default sale exists,
// forks and supervises the workers, balances connections (handoff, proxy), and
// runs the graceful shutdown.
import type { Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import type { Config } from '../config/config';
import { openPrimaryLedger } from '../ledger/open-ledger';
import type { Ledger } from '../ledger/ledger';
import { durabilityWarnings } from '../ledger/redis/redis-durability';
import { HoldSweeper } from '../ledger/hold-sweeper';
import { stockReturnedMessage } from '../ledger/embedded/ipc-ledger';
import { RedisLedger } from '../ledger/redis/redis-ledger';
import { IpcRpc, type IpcEndpoint } from './ipc-rpc';
import { createBalancer, raiseOpenFileLimit, type Balancer } from './front';
import { prepareSocketDir } from './socket-dir';
import { Supervisor, type WorkerSlot } from './supervisor';

const log = (line: string) => console.log(`spike: ${line}`);

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function ensureDefaultSale(ledger: Ledger, config: Config): Promise<void> {
  const created = await ledger.createSale(
    {
      id: config.defaultSaleId,
      name: `default sale ${config.defaultSaleId}`,
      total: config.defaultSaleTotal,
      perUserLimit: 1,
      holdSeconds: config.defaultSaleHoldSeconds,
      opensAt: null,
      closesAt: null,
    },
    Date.now(),
  );
  const sale = created ?? (await ledger.getSale(config.defaultSaleId))!;
  log(`default sale "${sale.id}": ${created ? 'created' : 'found'}, ${sale.total - sale.sold} of ${sale.total} tickets left`);
}

export async function runPrimary(config: Config): Promise<void> {
  let adminToken = config.adminToken;
  if (!adminToken) {
    adminToken = randomBytes(18).toString('base64url');
    log(`ADMIN_TOKEN was not set; generated one for this run: ${adminToken}`);
  }

  const { ledger, ipcHandlers } = await openPrimaryLedger(config);
  if (ledger instanceof RedisLedger) {
    for (const warning of await durabilityWarnings(ledger.redis)) log(`WARNING: ${warning}`);
  }
  await ensureDefaultSale(ledger, config);

  prepareSocketDir(config.socketDir, !process.env.SOCKET_DIR);
  raiseOpenFileLimit(config, log);
  const port = config.balancer === 'reuseport' && config.port === 0 ? await freePort(config.host) : config.port;

  // Made before any worker can ask for cluster figures, which include its counts.
  const sweeper = new HoldSweeper(ledger, { intervalMs: config.holdSweepMs, batch: 500, saleListRefreshMs: 500, warn: (line) => log(`WARNING: ${line}`) });
  const workerRpc = new Map<WorkerSlot, IpcRpc>();
  const supervisor: Supervisor = new Supervisor({
    weights: config.weights,
    socketDir: config.socketDir,
    workerEnv: { ADMIN_TOKEN: adminToken, SOCKET_DIR: config.socketDir, PORT: String(port) },
    crashLimit: 5,
    crashWindowMs: 30_000,
    log,
    onFork: (worker: Worker, slot: WorkerSlot) => {
      workerRpc.set(slot, new IpcRpc(worker as unknown as IpcEndpoint, { ...ipcHandlers, clusterStats: () => clusterStats() }));
    },
  });

  let balancer: Balancer | undefined;
  const clusterStats = async () => {
    const workers = await Promise.all(
      supervisor.slots.map(async (slot) => {
        const rpc = workerRpc.get(slot);
        const own = slot.state === 'ready' && rpc ? await rpc.request<Record<string, unknown>>('workerStats', null, 1000).catch(() => null) : null;
        return {
          slot: slot.index,
          weight: slot.weight,
          state: slot.state,
          pid: slot.worker?.process.pid ?? null,
          connections: balancer ? slot.connections : null,
          restarts: slot.restarts,
          outages: slot.outages,
          requests: own?.requests ?? null,
          inFlight: own?.inFlight ?? null,
          allowances: own?.allowances ?? null,
        };
      }),
    );
    return { balancer: config.balancer, ledger: ledger.description, sweeper: { ledgerCalls: sweeper.ledgerCalls, released: sweeper.released }, workers };
  };

  await supervisor.start();
  if (supervisor.readyCount() === 0) throw new Error('no worker came up; see the errors above');

  let boundPort = port;
  balancer = createBalancer(config, supervisor.slots);
  if (balancer) boundPort = await balancer.listen(port, config.host);
  if (config.ledger === 'embedded') {
    // Redis workers hear returned stock on Redis pub/sub; embedded ones hear it from here.
    ledger.onStockReturned((saleId) => {
      for (const slot of supervisor.slots) {
        if (slot.worker?.isConnected()) slot.worker.send(stockReturnedMessage(saleId), () => {});
      }
    });
  }
  sweeper.start();

  log(`${config.balancer} balancer, weights ${config.weights.join(',')}, ledger ${ledger.description}, listening on http://${config.host}:${boundPort}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log(`${signal} again: forcing exit`);
      supervisor.killAll();
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: draining (up to ${config.shutdownTimeoutMs} ms)`);
    const force = setTimeout(() => {
      log(`shutdown took longer than SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; forcing exit`);
      supervisor.killAll();
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000);
    force.unref();
    const stoppedAccepting = balancer?.stopAccepting();
    await supervisor.stop();
    await sweeper.stop();
    balancer?.destroyAll();
    await stoppedAccepting;
    await ledger.close();
    rmSync(config.socketDir, { recursive: true, force: true });
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
