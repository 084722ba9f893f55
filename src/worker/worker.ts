// A worker process: one uWS app serving the HTTP API, one local allowance
// per sale, one connection to the ledger. It listens where the balancer mode
// says: a private unix socket (handoff, proxy) or the public port itself (reuseport).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import uWS from 'uWebSockets.js';
import { openBuyerAuth } from '../auth/buyer-auth';
import { workerSocketPath } from '../cluster/socket-dir';
import { answerHeartbeats } from '../cluster/worker-heartbeat';
import type { Config } from '../config/config';
import { NodeWatchServer, QueueSocket, WorkerAdmission } from '../admission';
import { connectionGuard } from '../front/front';
import { receiveHandoffs } from '../front/handoff-receiver';
import type { RequestHead } from '../front/http-framing';
import { InProcessServer } from '../front/in-process-upstream';
import { registerRoutes } from '../http/routes';
import type { RouteOptions } from '../http/route-context';
import { StockKeeper } from '../inventory/stock-keeper';
import { TrainKeeper } from '../trains';
import { parentEndpoint } from '../ipc/endpoint';
import type { ReadyMessage } from '../ipc/messages';
import type { TopologyView } from '../ledger';
import { IpcRpc } from '../ipc/rpc';
import { openWorkerLedger } from '../ledger';
import { CheckinMemory, CheckinSharing, readSigningKey, TicketRenderer } from '../tickets';
import { createPublicKey } from 'node:crypto';
import { initLogger, logLedgerEvents } from '../logging';
import { instrumentLedger, LedgerTally, WorkerMetrics } from '../metrics';
import { wantedPriority } from '../system/thread-priority';
import { RequestTracker } from './request-tracker';
import { QUIET_LEDGER, WARMUP_SALE_ID, warmUp } from './warm-up';

function listenUnix(app: uWS.TemplatedApp, path: string): Promise<uWS.us_listen_socket> {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  return new Promise((resolve, reject) => {
    app.listen_unix((socket) => (socket ? resolve(socket) : reject(new Error(`cannot listen on unix socket ${path}`))), path);
  });
}

function listenPort(app: uWS.TemplatedApp, host: string, port: number): Promise<uWS.us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => (socket ? resolve(socket) : reject(new Error(`cannot listen on ${host}:${port}`))));
  });
}

const DRAIN_LINGER_MS = 100;

export async function runWorker(config: Config): Promise<void> {
  if (config.workerSlot === null) throw new Error('a worker needs SPIKE_WORKER_SLOT, which the primary sets when it forks one');
  const slot = config.workerSlot;
  const weight = config.weights[slot]!;
  const tracker = new RequestTracker();
  let keeper: StockKeeper | undefined;
  let trains: TrainKeeper | undefined;
  const log = initLogger(config, slot);
  const metrics = config.metrics
    ? new WorkerMetrics({ worker: slot, ledgerKind: config.ledger, requests: () => tracker.requests, allowances: () => keeper?.allowanceStats() ?? {} })
    : undefined;

  const toPrimary = parentEndpoint();
  const rpc = new IpcRpc(toPrimary, {
    workerStats: () => ({ slot, pid: process.pid, requests: tracker.requests, inFlight: tracker.inFlight, allowances: keeper?.allowanceStats() ?? {}, trains: trains?.stats() ?? {} }),
    workerMetrics: () => metrics?.snapshot() ?? [],
    // The front's warm-up is over (src/front/front-warm-up.ts); the primary opens the public port once every worker answers.
    forgetWarmUp: () => {
      metrics?.forgetTraffic();
      tracker.forgetRequests();
      return true;
    },
  });
  const ledger = instrumentLedger(await openWorkerLedger(config, rpc), {
    tally: metrics?.ledger ?? new LedgerTally(),
    slowMs: config.ledgerSlowMs,
    watcher: logLedgerEvents(log, config.ledgerSlowMs),
  });
  // The total weight is every live box's, from the primary's registry, and it
  // moves as boxes come and go; the gates read it at each (re)fill.
  let topology = await rpc.request<TopologyView>('topology', [], 5000);
  rpc.onNotice((message) => {
    if (message.spike === 'topology') topology = message;
  });
  const keeperOptions = { localBuffer: config.localBuffer, allowanceRefreshMs: config.allowanceRefreshMs, saleViewTtlMs: config.saleViewTtlMs };
  keeper = new StockKeeper(ledger, {
    ...keeperOptions,
    weight,
    get totalWeight() {
      return topology.totalWeight;
    },
  });
  trains = new TrainKeeper(ledger, keeper.sales, {
    ...keeperOptions,
    weight,
    get totalWeight() {
      return topology.totalWeight;
    },
  });
  // Serve only once returned stock will be heard; should the subscription lag, the
  // once-a-second re-check of sold-out sales still covers it, so don't wait forever.
  const listening = await Promise.race([keeper.listening.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 3000, false).unref())]);
  if (!listening) log.warn('not yet subscribed to returned-stock announcements; serving anyway');

  // The primary resolved the key (made it on first start) and hands every worker the same setting.
  if (config.ticketSigningKey === null) throw new Error('a worker needs TICKET_SIGNING_KEY, which the primary sets when it forks one');
  const signingKey = readSigningKey(config.ticketSigningKey);
  const publicKey = createPublicKey(signingKey.privateKey);
  const checkins = new CheckinMemory(publicKey, config.checkinMemory);
  const checkinSharing = new CheckinSharing(checkins, (message) => toPrimary.isConnected() && toPrimary.send(message, () => {}));
  rpc.onNotice((message) => {
    if (message.spike === 'checkins-seen') checkinSharing.learn(message);
  });
  const renderer = new TicketRenderer({
    privateKey: signingKey.privateKey,
    threads: config.ticketThreads,
    nice: config.ticketThreadNice,
    maxWaiting: config.ticketRenderQueue,
    onPriorities: ({ notLowered }) => {
      if (notLowered === 0) return;
      log.warn(
        { threads: notLowered, wanted: config.ticketThreadNice },
        `worker ${slot}: ${notLowered} ticket render thread(s) could not lower their CPU priority to ${wantedPriority('TICKET_THREAD_NICE', config.ticketThreadNice)}; a render burst will compete with the purchase path`,
      );
    },
  });

  const boxShare = weight / config.weights.reduce((sum, w) => sum + w, 0);
  const admissionOptions = {
    secret: config.admission.secret ?? '',
    // Each worker keeps its own buckets, and the balancer spreads a client's connections by
    // weight: a worker's share of the box's limit keeps the box at RATE_LIMIT_PER_SECOND.
    rateLimitPerSecond: config.admission.rateLimitPerSecond * boxShare,
    rateLimitBurst: Math.max(1, config.admission.rateLimitBurst * boxShare),
    challengeTtlMs: config.admission.challengeSeconds * 1000,
  };
  const admission = new WorkerAdmission(ledger, admissionOptions);
  const buyerAuth = await openBuyerAuth(config.buyerAuth);
  /** The route options but the parts that hold a sale's state: the warm-up gives its own, the worker its real ones. */
  const routeOptions = (parts: Pick<RouteOptions, 'ledger' | 'keeper' | 'trains' | 'admission' | 'track' | 'metrics' | 'dashboardFeed' | 'defaultSaleId'>): RouteOptions => ({
    ...parts,
    adminToken: config.adminToken!,
    buyerAuth,
    maxBodyBytes: config.maxBodyBytes,
    workerSlot: slot,
    clusterStats: () => rpc.request('clusterStats', [], 2000),
    tickets: { renderer, publicKey, publicKeyPem: signingKey.publicKeyPem, gateToken: config.gateToken, checkins, sharing: checkinSharing },
    clusterMetrics: () => rpc.request<string>('clusterMetrics', [], 3000),
    metricsToken: config.metricsToken,
    admissionDefaults: config.admission,
    trustProxy: config.admission.trustProxy,
  });

  // Only the handoff path on Redis is warmed: the embedded ledger lives in the primary, so a scratch sale would be journaled there.
  // Only a first start: a replacement for a dead worker, mid-sale, serves at once, and its scratch
  // purchases would compete with the sale's for Redis.
  if (config.warmupRequests > 0 && config.ledger === 'redis' && config.balancer === 'handoff' && config.workerRestarts === 0) {
    const warmed = await warmUp({
      requests: config.warmupRequests,
      holdSeconds: config.defaultSaleHoldSeconds,
      openLedger: async () => instrumentLedger(await openWorkerLedger({ ...config, redisPrefix: `${config.redisPrefix}-warmup-${process.pid}` }, rpc), { tally: new LedgerTally(), slowMs: config.ledgerSlowMs, watcher: QUIET_LEDGER }),
      routesFor: (scratch) => {
        const scratchKeeper = new StockKeeper(scratch, { ...keeperOptions, weight: 1, totalWeight: 1 });
        return registerRoutes(uWS.App(), routeOptions({
          ledger: scratch,
          keeper: scratchKeeper,
          trains: new TrainKeeper(scratch, scratchKeeper.sales, { ...keeperOptions, weight: 1, totalWeight: 1 }),
          admission: new WorkerAdmission(scratch, admissionOptions),
          track: new RequestTracker(),
          metrics: undefined,
          dashboardFeed: undefined,
          defaultSaleId: WARMUP_SALE_ID,
        }));
      },
    }).catch((error: Error) => error);
    if (warmed instanceof Error) log.warn(`worker ${slot}: warm-up failed (${warmed.message}); serving anyway`);
    else log.info({ warmUp: warmed }, `worker ${slot}: warmed up with ${warmed.requests} purchases of a scratch sale in ${warmed.ms} ms`);
  }

  const app = uWS.App();
  const routes = registerRoutes(app, routeOptions({
    ledger,
    keeper,
    trains,
    admission,
    track: tracker,
    metrics,
    dashboardFeed: {
      snapshot: (fresh) => rpc.request<string>('dashboardSnapshot', [fresh === true], 3000),
      onNudge: (push) => rpc.onNotice((message) => message.spike === 'dashboard-nudge' && push()),
    },
    defaultSaleId: config.defaultSaleId,
  }));
  // handoff: this worker's Node side holds its client connections, and serves the live line's watchers itself (NodeWatchServer).
  const guard = config.balancer === 'handoff' ? connectionGuard(config) : undefined;
  const nodeWatch = config.balancer === 'handoff' ? new NodeWatchServer({ latest: (saleId) => queueSocket.latest(saleId), guard }) : null;
  const queueSocket = new QueueSocket(app, admission, (saleId) => keeper!.peekSale(saleId), config.admission.pushMs, nodeWatch);
  rpc.onNotice((message) => {
    if (message.spike !== 'queue-status') return;
    const now = Date.now();
    for (const status of message.statuses) {
      const sale = keeper!.peekSale(status.saleId);
      // A sale this worker has not read yet: read it, so the next tick can be pushed.
      if (sale === undefined) void keeper!.sales.get(status.saleId).catch(() => {});
      admission.board.update(status, (sale?.admission?.passSeconds ?? 120) * 1000);
    }
    queueSocket.publish(message.statuses, now);
  });

  const listenSockets: uWS.us_listen_socket[] = [];
  if (config.balancer !== 'reuseport') {
    const socketPath = workerSocketPath(config.socketDir, slot);
    listenSockets.push(await listenUnix(app, socketPath));
    // handoff: the primary sends this worker client connections, which it relays to its own listener.
    if (config.balancer === 'handoff') {
      const upgrades = nodeWatch ? (head: RequestHead) => nodeWatch.serverFor(head) : undefined;
      receiveHandoffs(socketPath, `localhost:${config.port}`, guard, upgrades, new InProcessServer(routes));
    }
  } else {
    // One listen socket per unit of weight: the kernel spreads connections
    // evenly over the sockets of a SO_REUSEPORT group, so the split follows the weights.
    for (let i = 0; i < weight; i++) listenSockets.push(await listenPort(app, config.host, config.port));
  }

  let shuttingDown = false;
  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    tracker.draining = true;
    for (const socket of listenSockets) uWS.us_listen_socket_close(socket);
    const drained = await tracker.idle(config.shutdownTimeoutMs);
    if (!drained) log.warn({ inFlight: tracker.inFlight, reason }, `worker ${slot} stopped with ${tracker.inFlight} request(s) unanswered after ${config.shutdownTimeoutMs} ms (${reason})`);
    // Requests already in flight on kept-alive connections still get a 503 with
    // "connection: close" rather than a reset, for a short moment.
    await new Promise((resolve) => setTimeout(resolve, DRAIN_LINGER_MS));
    await tracker.idle(config.shutdownTimeoutMs);
    await ledger.close();
    await renderer.close();
    process.exit(0);
  };

  rpc.onNotice((message) => {
    if (message.spike === 'shutdown') void shutdown('asked by the primary');
  });
  // Ctrl-C reaches the whole process group; the primary runs the shutdown, and
  // a worker that outlives its primary exits rather than linger as an orphan.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('disconnect', () => {
    log.warn(`worker ${slot} lost its primary; finishing in-flight requests and exiting`);
    void shutdown('the primary is gone');
  });

  const ready: ReadyMessage = { spike: 'ready' };
  answerHeartbeats();
  process.send!(ready);
}
