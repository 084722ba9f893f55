// The primary process: opens the ledger through its door, makes sure the
// default sale exists, forks and supervises the workers, balances connections
// in proxy mode, relays returned stock, and runs the graceful shutdown.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { openBuyerAuth } from '../auth/buyer-auth';
import type { Config } from '../config/config';
import { workerEndpoint } from '../ipc/endpoint';
import type { StockReturnedMessage } from '../ipc/messages';
import { IpcRpc } from '../ipc/rpc';
import { openPrimaryLedger, type Ledger } from '../ledger';
import { clusterStats } from './cluster-stats';
import { ProxyBalancer } from './proxy-balancer';
import { openSocketDir } from './socket-dir';
import { Supervisor, type WorkerSlot } from './supervisor';
import { WorkerHeartbeat } from './worker-heartbeat';

/** A slot whose worker dies this often within the window is left down ('failed'). */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 30_000;

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
      // The seed's `ab` test buys without ?user: one anonymous buyer per request.
      anonymous: true,
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

  // Once here, so a bad key stops the start instead of every worker.
  await openBuyerAuth(config.buyerAuth);
  if (config.buyerAuth.mode === 'none') warn("BUYER_AUTH=none: a buyer is whoever the request says (userId, ?user=); anyone can pay, cancel or read any buyer's orders. Set BUYER_AUTH=hmac or jwt for a real sale");
  else log(`buyer identity: BUYER_AUTH=${config.buyerAuth.mode}, a signed bearer token names the buyer`);
  const { ledger, ipcHandlers, sweeper, startupWarnings, relayStockReturned } = await openPrimaryLedger(config, log, warn);
  for (const warning of await startupWarnings()) warn(warning);
  await ensureDefaultSale(ledger, config);

  const socketDir = openSocketDir(config.socketDirIsDefault ? undefined : config.socketDir);
  const port = config.balancer === 'reuseport' && config.port === 0 ? await freePort(config.host) : config.port;

  let balancer: ProxyBalancer | undefined;
  const workerRpc = new Map<WorkerSlot, IpcRpc>();
  const stats = () =>
    clusterStats({ balancer: config.balancer, ledgerDescription: ledger.description, sweeper, slots: supervisor.slots, rpcOf: (slot) => workerRpc.get(slot), countsConnections: balancer !== undefined });
  const heartbeat = new WorkerHeartbeat({ intervalMs: config.heartbeatIntervalMs, unresponsiveMs: config.workerUnresponsiveMs, restartAfterMs: config.workerHangRestartMs, log });
  const supervisor: Supervisor = new Supervisor({
    weights: config.weights,
    socketDir: socketDir.path,
    workerEnv: { ADMIN_TOKEN: adminToken, SOCKET_DIR: socketDir.path, PORT: String(port) },
    crashLimit: CRASH_LIMIT,
    crashWindowMs: CRASH_WINDOW_MS,
    log,
    onFork: (worker, slot) => {
      workerRpc.set(slot, new IpcRpc(workerEndpoint(worker), { ...ipcHandlers, clusterStats: stats }));
      heartbeat.watch(worker, slot);
    },
    // Serving nothing but 503s forever helps nobody: exit non-zero so systemd or Kubernetes restarts spike.
    onAllFailed: () => {
      console.error(`spike: every worker slot has failed (each died ${CRASH_LIMIT} times within ${CRASH_WINDOW_MS / 1000} s); exiting with code 1 so the process manager restarts spike`);
      supervisor.killAll();
      process.exit(1);
    },
  });

  await supervisor.start();
  heartbeat.start(supervisor.slots);
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
    heartbeat.stop();
    await supervisor.stop();
    await sweeper.stop();
    balancer?.destroyAll();
    await stoppedAccepting;
    await ledger.close();
    socketDir.close();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
