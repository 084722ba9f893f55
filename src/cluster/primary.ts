// The primary process: opens the ledger through its door, makes sure the
// default sale exists, forks and supervises the workers, balances connections
// in proxy mode, relays returned stock, and runs the graceful shutdown.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import type { Config } from '../config/config';
import { workerEndpoint } from '../ipc/endpoint';
import type { SaleChangedMessage, StockReturnedMessage, TopologyMessage } from '../ipc/messages';
import { IpcRpc } from '../ipc/rpc';
import { openPrimaryLedger, type Ledger } from '../ledger';
import { configSummary, initLogger, processLogger } from '../logging';
import { clusterStats } from './cluster-stats';
import { PrimaryObservability } from './observability';
import { ProxyBalancer } from './proxy-balancer';
import { prepareSocketDir } from './socket-dir';
import { Supervisor, type WorkerSlot } from './supervisor';

// One JSON line per event (src/logging); the messages keep the words tests and the bench wait for.
const log = (line: string, fields: Record<string, unknown> = {}, level: 'info' | 'warn' | 'error' = 'info') => processLogger()[level](fields, line);
const warn = (line: string) => processLogger().warn(line);

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
  log(`default sale ${sale.id}: ${created ? 'created' : 'found'}, ${sale.total - sale.sold} of ${sale.total} tickets left`, { sale: sale.id, total: sale.total, sold: sale.sold });
}

export async function runPrimary(config: Config): Promise<void> {
  const logger = initLogger(config, 'primary');
  logger.info({ config: configSummary(config) }, 'starting');
  // Made now (the workers need it), printed only once the server is up: a
  // start that fails (the journal's LOCK, Redis away) prints no token to use.
  const generatedToken = config.adminToken ? undefined : randomBytes(18).toString('base64url');
  const adminToken = config.adminToken ?? generatedToken!;

  const observability = new PrimaryObservability(config, logger);
  const { ledger, ipcHandlers, sweeper, startupWarnings, relayStockReturned, relaySaleChanged, topology } = await openPrimaryLedger(config, log, warn, (raw) => observability.instrument(raw));
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
      workerRpc.set(slot, new IpcRpc(workerEndpoint(worker), { ...ipcHandlers, clusterStats: stats, ...observability.ipcHandlers, topology: () => topology.current() }));
    },
  });
  await observability.start({ ledger, slots: () => supervisor.slots, rpcOf: (slot) => workerRpc.get(slot) });

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
  const broadcast = (message: StockReturnedMessage | SaleChangedMessage) => {
    for (const slot of supervisor.slots) {
      if (slot.worker?.isConnected()) slot.worker.send(message, () => {});
    }
  };
  relayStockReturned((saleId) => broadcast({ spike: 'stock-returned', saleId }));
  relaySaleChanged((saleId) => broadcast({ spike: 'sale-changed', saleId }));
  sweeper.start();

  if (config.balancer === 'reuseport') {
    warn(
      'BALANCER=reuseport: the workers answer the port themselves, and uWS never answers HTTP/1.0, so HTTP/1.0 clients ' +
        '(ab, nginx without proxy_http_version 1.1) get no answer. Use an HTTP/1.1 client (wrk, autocannon, curl), or BALANCER=proxy, ' +
        'whose primary upgrades HTTP/1.0 requests.',
    );
  }
  if (generatedToken) log(`ADMIN_TOKEN was not set; generated one for this run: ${generatedToken}`);
  log(`${config.balancer} balancer, weights ${config.weights.join(',')}, ledger ${ledger.description}, listening on http://${config.host}:${boundPort}`, {
    balancer: config.balancer,
    weights: config.weights,
    ledger: ledger.description,
    host: config.host,
    port: boundPort,
  });

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
    await observability.stop();
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
