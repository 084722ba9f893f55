// The primary process: opens the ledger through its door, makes sure the
// default sale exists, forks and supervises the workers, balances connections
// in proxy mode, relays returned stock, and runs the graceful shutdown.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import type { Config } from '../config/config';
import { workerEndpoint } from '../ipc/endpoint';
import type { StockReturnedMessage, TopologyMessage } from '../ipc/messages';
import { IpcRpc } from '../ipc/rpc';
import { openPrimaryLedger, type Ledger } from '../ledger';
import { clusterStats } from './cluster-stats';
import { ProxyBalancer } from './proxy-balancer';
import { prepareSocketDir } from './socket-dir';
import { Supervisor, type WorkerSlot } from './supervisor';

const log = (line: string) => console.log(`spike: ${line}`);
const warn = (line: string) => console.warn(`spike: WARNING: ${line}`);

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

  const { ledger, ipcHandlers, sweeper, startupWarnings, relayStockReturned, topology } = await openPrimaryLedger(config, log, warn);
  for (const warning of await startupWarnings()) warn(warning);
  await ensureDefaultSale(ledger, config);

  prepareSocketDir(config.socketDir, config.socketDirIsDefault);
  const port = config.balancer === 'reuseport' && config.port === 0 ? await freePort(config.host) : config.port;

  let balancer: ProxyBalancer | undefined;
  const workerRpc = new Map<WorkerSlot, IpcRpc>();
  const stats = () =>
    clusterStats({ balancer: config.balancer, ledgerDescription: ledger.description, sweeper, slots: supervisor.slots, rpcOf: (slot) => workerRpc.get(slot), countsConnections: balancer !== undefined, topology: topology.current() });
  const supervisor: Supervisor = new Supervisor({
    weights: config.weights,
    socketDir: config.socketDir,
    workerEnv: { ADMIN_TOKEN: adminToken, SOCKET_DIR: config.socketDir, PORT: String(port) },
    crashLimit: 5,
    crashWindowMs: 30_000,
    log,
    onFork: (worker, slot) => {
      workerRpc.set(slot, new IpcRpc(workerEndpoint(worker), { ...ipcHandlers, clusterStats: stats, topology: () => topology.current() }));
    },
  });

  // Joins the boxes sharing this ledger before any worker sizes an allowance.
  await topology.start((view) => {
    log(`topology: ${view.boxes} box(es), total weight ${view.totalWeight}`);
    const message: TopologyMessage = { spike: 'topology', ...view };
    for (const slot of supervisor.slots) {
      if (slot.worker?.isConnected()) slot.worker.send(message, () => {});
    }
  });
  await supervisor.start();
  if (supervisor.readyCount() === 0) throw new Error('no worker came up; see the errors above');

  let boundPort = port;
  if (config.balancer === 'proxy') {
    balancer = new ProxyBalancer(supervisor.slots);
    boundPort = await balancer.listen(port, config.host);
  }
  relayStockReturned((saleId) => {
    const message: StockReturnedMessage = { spike: 'stock-returned', saleId };
    for (const slot of supervisor.slots) {
      if (slot.worker?.isConnected()) slot.worker.send(message, () => {});
    }
  });
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
    await topology.stop();
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
