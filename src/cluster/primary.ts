// The primary process: opens the ledger through its door, makes sure the
// default sale exists, forks and supervises the workers, balances connections
// (handoff, proxy), relays returned stock, and runs the graceful shutdown.
import { randomBytes } from 'node:crypto';
import { openBuyerAuth } from '../auth/buyer-auth';
import type { Config } from '../config/config';
import { workerEndpoint } from '../ipc/endpoint';
import { QueueTicker } from '../admission';
import type { QueueStatusMessage, SaleChangedMessage, SeatsReleasedMessage, StockReturnedMessage, TopologyMessage } from '../ipc/messages';
import { IpcRpc } from '../ipc/rpc';
import { openPrimaryLedger, type Ledger } from '../ledger';
import { resolveSigningKey, TicketIssuer } from '../tickets';
import { RetentionSweeper } from '../retention';
import { configSummary, initLogger, processLogger } from '../logging';
import { clusterStats } from './cluster-stats';
import { createBalancer, raiseOpenFileLimit, type Balancer } from '../front/front';
import { FRONT_WARMUP_SALE_ID, warmFront, type FrontWarmUpResult, type PrivateListener } from '../front/front-warm-up';
import { PrimaryObservability } from './observability';
import { handoffRendezvousPath, openSocketDir } from './socket-dir';
import { Supervisor, type WorkerSlot } from './supervisor';
import { WorkerHeartbeat } from './worker-heartbeat';
import { freePort } from '../system/free-port';

/** A slot whose worker dies this often within the window is left down ('failed'). */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 30_000;

// One JSON line per event (src/logging); the messages keep the words tests and the bench wait for.
const log = (line: string, fields: Record<string, unknown> = {}, level: 'info' | 'warn' | 'error' = 'info') => processLogger()[level](fields, line);
const warn = (line: string) => processLogger().warn(line);

/**
 * The front's warm-up (src/front/front-warm-up.ts), then every worker forgets
 * what it counted of it, and the primary what it handed out: the figures start
 * at the first buyer. Answers a warning instead when the warm-up's sale exists.
 */
async function warmUpFront(listen: () => Promise<PrivateListener>, ledger: Ledger, slots: readonly WorkerSlot[], rpcOf: Map<WorkerSlot, IpcRpc>, requests: number): Promise<FrontWarmUpResult | string> {
  // Sale creation refuses the id; a ledger that other boxes or an older spike share might still hold it.
  if ((await ledger.getSale(FRONT_WARMUP_SALE_ID)) !== null) return `front warm-up skipped: a sale named ${FRONT_WARMUP_SALE_ID} exists, and its warm-up would buy it`;
  const result = await warmFront(listen, requests);
  await Promise.all(slots.map((slot) => rpcOf.get(slot)?.request('forgetWarmUp', [], 5000)));
  for (const slot of slots) slot.connections = 0;
  return result;
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
  log(`default sale ${sale.id}: ${created ? 'created' : 'found'}, ${sale.total - sale.sold} of ${sale.total} tickets left`, { sale: sale.id, total: sale.total, sold: sale.sold });
}

export async function runPrimary(config: Config): Promise<void> {
  const logger = initLogger(config, 'primary');
  logger.info({ config: configSummary(config) }, 'starting');
  // Made now (the workers need it), printed only once the server is up: a
  // start that fails (the journal's LOCK, Redis away) prints no token to use.
  const generatedToken = config.adminToken ? undefined : randomBytes(18).toString('base64url');
  const adminToken = config.adminToken ?? generatedToken!;
  // Passes and queue tickets must check on every worker: one secret for all of them.
  const admissionSecret = config.admission.secret ?? randomBytes(32).toString('base64url');

  // Once here, so a bad key stops the start instead of every worker.
  await openBuyerAuth(config.buyerAuth);
  if (config.buyerAuth.mode === 'none') warn("BUYER_AUTH=none: a buyer is whoever the request says (userId, ?user=); anyone can pay, cancel or read any buyer's orders. Set BUYER_AUTH=hmac or jwt for a real sale");
  else log(`buyer identity: BUYER_AUTH=${config.buyerAuth.mode}, a signed bearer token names the buyer`);
  const observability = new PrimaryObservability(config, logger);
  const { ledger, ipcHandlers, sweeper, startupWarnings, relayStockReturned, relaySaleChanged, relaySeatsReleased, topology } = await openPrimaryLedger(config, log, warn, (raw) => observability.instrument(raw));
  for (const warning of await startupWarnings()) warn(warning);
  await ensureDefaultSale(ledger, config);
  const signingKey = resolveSigningKey(config.ticketSigningKey, config.dataDir, log);
  const issuer = new TicketIssuer(ledger, { intervalMs: config.ticketIssueMs, batch: 500, saleListRefreshMs: 500, warn });
  const retention = config.saleRetentionMs === null ? undefined : new RetentionSweeper(ledger, { retentionMs: config.saleRetentionMs, archiveDir: config.saleArchiveDir, intervalMs: config.retentionSweepMs, log, warn });
  if (retention) log(`retention: sales closed more than ${config.saleRetentionMs! / 86_400_000} day(s) ago are archived to ${config.saleArchiveDir} and removed from the ledger`);
  else log('retention: SALE_RETENTION_DAYS is not set; closed sales stay in the ledger');

  const socketDir = openSocketDir(config.socketDirIsDefault ? undefined : config.socketDir);
  raiseOpenFileLimit(config, log);
  const port = config.balancer === 'reuseport' && config.port === 0 ? await freePort(config.host) : config.port;

  let balancer: Balancer | undefined;
  const workerRpc = new Map<WorkerSlot, IpcRpc>();
  const stats = () =>
    clusterStats({ balancer: config.balancer, ledgerDescription: ledger.description, sweeper, issuer, slots: supervisor.slots, rpcOf: (slot) => workerRpc.get(slot), countsConnections: balancer !== undefined, topology: topology.current() });
  const heartbeat = new WorkerHeartbeat({ intervalMs: config.heartbeatIntervalMs, unresponsiveMs: config.workerUnresponsiveMs, restartAfterMs: config.workerHangRestartMs, log });
  const supervisor: Supervisor = new Supervisor({
    weights: config.weights,
    socketDir: socketDir.path,
    workerEnv: { ADMIN_TOKEN: adminToken, ADMISSION_SECRET: admissionSecret, SOCKET_DIR: socketDir.path, PORT: String(port), TICKET_SIGNING_KEY: signingKey.setting },
    crashLimit: CRASH_LIMIT,
    crashWindowMs: CRASH_WINDOW_MS,
    log,
    // handoff: each fork gets its handle channel; the balancer exists by then (made below, before start).
    prepareFork: config.balancer === 'handoff' ? (slot) => balancer!.prepareFork!(slot, handoffRendezvousPath(socketDir.path, slot.index)) : undefined,
    onFork: (worker, slot) => {
      const rpc = new IpcRpc(workerEndpoint(worker), { ...ipcHandlers, clusterStats: stats, ...observability.ipcHandlers, topology: () => topology.current() });
      workerRpc.set(slot, rpc);
      heartbeat.watch(worker, slot);
      // What the ledger told one worker of check-ins, every other worker remembers too (src/tickets/checkin-sharing.ts).
      rpc.onNotice((message) => {
        if (message.spike !== 'checkins-seen') return;
        for (const other of supervisor.slots) {
          if (other !== slot && other.worker?.isConnected()) other.worker.send(message, () => {});
        }
      });
    },
    // Serving nothing but 503s forever helps nobody: exit non-zero so systemd or Kubernetes restarts spike.
    onAllFailed: () => {
      log(`every worker slot has failed (each died ${CRASH_LIMIT} times within ${CRASH_WINDOW_MS / 1000} s); exiting with code 1 so the process manager restarts spike`, {}, 'error');
      supervisor.killAll();
      process.exit(1);
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
  balancer = createBalancer(config, supervisor.slots);
  await supervisor.start();
  heartbeat.start(supervisor.slots);
  if (supervisor.readyCount() === 0) throw new Error('no worker came up; see the errors above');

  if (balancer?.listenPrivately && config.warmupFrontRequests > 0) {
    const warmed = await warmUpFront(balancer.listenPrivately.bind(balancer), ledger, supervisor.slots, workerRpc, config.warmupFrontRequests).catch((error: Error) => error);
    if (warmed instanceof Error) warn(`front warm-up failed (${warmed.message}); serving anyway`);
    else if (typeof warmed === 'string') warn(warmed);
    else log(`warmed the front with ${warmed.requests} requests in ${warmed.ms} ms`, { frontWarmUp: warmed });
  }
  let boundPort = port;
  if (balancer) boundPort = await balancer.listen(port, config.host);
  const broadcast = (message: StockReturnedMessage | SaleChangedMessage | SeatsReleasedMessage) => {
    for (const slot of supervisor.slots) {
      if (slot.worker?.isConnected()) slot.worker.send(message, () => {});
    }
  };
  relayStockReturned((saleId) => broadcast({ spike: 'stock-returned', saleId }));
  relaySaleChanged((saleId) => broadcast({ spike: 'sale-changed', saleId }));
  relaySeatsReleased((release) => broadcast({ spike: 'seats-released', ...release }));
  sweeper.start();
  issuer.start();
  retention?.start();
  const ticker = new QueueTicker(ledger, {
    intervalMs: config.admission.tickMs,
    saleListRefreshMs: 1000,
    warn,
    broadcast: (statuses) => {
      observability.queueTicked(statuses);
      const message: QueueStatusMessage = { spike: 'queue-status', statuses };
      for (const slot of supervisor.slots) {
        if (slot.worker?.isConnected()) slot.worker.send(message, () => {});
      }
    },
  });
  ticker.start();

  if (config.balancer === 'reuseport') {
    warn(
      'BALANCER=reuseport: the workers answer the port themselves, and uWS never answers HTTP/1.0, so HTTP/1.0 clients ' +
        '(ab, nginx without proxy_http_version 1.1) get no answer. Use an HTTP/1.1 client (wrk, autocannon, curl), or BALANCER=handoff or proxy, ' +
        'whose relay upgrades HTTP/1.0 requests.',
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
    heartbeat.stop();
    await supervisor.stop();
    await sweeper.stop();
    await ticker.stop();
    await issuer.stop();
    await retention?.stop();
    await topology.stop();
    await observability.stop();
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
