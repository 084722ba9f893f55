// Forks the workers, knows which are ready, restarts the ones that die (with
// backoff), and gives up on one that keeps crashing so the rest keep serving.
import cluster, { type Worker } from 'node:cluster';
import { isSpikeMessage, type ShutdownMessage } from '../ipc/messages';
import type { WeightedPeer } from '../front/smooth-wrr';
import { workerSocketPath } from './socket-dir';

export type SlotState = 'starting' | 'ready' | 'down' | 'failed' | 'stopped';

/** One place in the pool; the process in it changes across restarts, the slot and weight do not. */
export interface WorkerSlot extends WeightedPeer {
  readonly index: number;
  readonly weight: number;
  readonly socketPath: string;
  state: SlotState;
  worker: Worker | undefined;
  /** Connections the balancer handed to this slot (proxy mode). */
  connections: number;
  /** Times a process in this slot was started after the first. */
  restarts: number;
  crashTimes: number[];
  /** Each time the slot was down: the balancer's connection count when it went down and when it came back (equal if it was masked). */
  outages: Outage[];
}

export interface Outage {
  readonly downAt: number;
  readonly connectionsAtDown: number;
  upAt: number | null;
  connectionsAtUp: number | null;
}

export interface SupervisorOptions {
  readonly weights: readonly number[];
  readonly socketDir: string;
  /** Environment for every worker, on top of the primary's own. */
  readonly workerEnv: Record<string, string>;
  readonly crashLimit: number;
  readonly crashWindowMs: number;
  /** Worker events, with the slot and process as fields (`level` warn for deaths). */
  readonly log: (line: string, fields?: Record<string, unknown>, level?: 'info' | 'warn' | 'error') => void;
  /** Called for every process forked, first starts and restarts alike. */
  readonly onFork?: (worker: Worker, slot: WorkerSlot) => void;
  /**
   * Called before every fork: one more stdio entry for the new process (it
   * finds it at descriptor 4), and a callback with the process
   * once forked (undefined if the fork threw). BALANCER=handoff passes each
   * worker its handle channel this way.
   */
  readonly prepareFork?: (slot: WorkerSlot) => Promise<ForkAttachment>;
  /** Called once every slot has failed for good: nothing is left to serve. */
  readonly onAllFailed?: () => void;
}

export interface ForkAttachment {
  readonly stdio: object;
  forked(worker: Worker | undefined): void;
}

/** Backoff before restarting a worker that died for the n-th time within the crash window: 100 ms, doubling, at most 5 s. */
export function restartDelayMs(crashesInWindow: number): number {
  return Math.min(100 * 2 ** (crashesInWindow - 1), 5000);
}

export class Supervisor {
  readonly slots: WorkerSlot[];
  private stopping = false;
  private readonly readyWaiters: Array<() => void> = [];

  constructor(private readonly options: SupervisorOptions) {
    this.slots = options.weights.map((weight, index) => ({
      index,
      weight,
      socketPath: workerSocketPath(options.socketDir, index),
      state: 'starting' as SlotState,
      available: false,
      worker: undefined,
      connections: 0,
      restarts: 0,
      crashTimes: [],
      outages: [],
    }));
  }

  /** Forks every worker and resolves once each has reported ready (or failed for good). */
  async start(): Promise<void> {
    for (const slot of this.slots) this.fork(slot);
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.slots.every((slot) => slot.state === 'ready' || slot.state === 'failed')) resolve();
        else this.readyWaiters.push(check);
      };
      check();
    });
  }

  readyCount(): number {
    return this.slots.filter((slot) => slot.state === 'ready').length;
  }

  /** Asks every worker to drain, and resolves when all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits = this.slots.map((slot) => {
      const worker = slot.worker;
      slot.available = false;
      if (!worker || worker.isDead()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        try {
          const shutdown: ShutdownMessage = { spike: 'shutdown' };
          worker.send(shutdown);
        } catch {
          worker.kill('SIGTERM');
        }
      });
    });
    await Promise.all(exits);
  }

  killAll(): void {
    this.stopping = true;
    for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
  }

  private fork(slot: WorkerSlot): void {
    slot.state = 'starting';
    slot.available = false;
    if (this.options.prepareFork === undefined) {
      this.forkWith(slot, undefined);
      return;
    }
    this.options.prepareFork(slot).then(
      (attachment) => {
        if (this.stopping) attachment.forked(undefined);
        else this.forkWith(slot, attachment);
      },
      (error: Error) => {
        // As a crash at start: the slot backs off and tries again, or fails for good.
        this.options.log(`worker ${slot.index}: could not prepare its fork: ${error.message}`, { slot: slot.index, err: error.message }, 'error');
        this.onExit(slot, undefined, 1, null);
      },
    );
  }

  private forkWith(slot: WorkerSlot, attachment: ForkAttachment | undefined): void {
    // SPIKE_WORKER_RESTARTS: a replacement skips the warm-up, to serve at once (src/worker/warm-up.ts).
    const env = { ...this.options.workerEnv, SPIKE_WORKER_SLOT: String(slot.index), SPIKE_WORKER_RESTARTS: String(slot.restarts) };
    let worker: Worker | undefined;
    if (attachment === undefined) {
      worker = cluster.fork(env);
    } else {
      // cluster.fork takes its stdio from the settings; set for this fork only.
      const settings = cluster.settings.stdio;
      cluster.setupPrimary({ stdio: [0, 1, 2, 'ipc', attachment.stdio] as never });
      try {
        worker = cluster.fork(env);
      } finally {
        cluster.setupPrimary({ stdio: settings });
        attachment.forked(worker);
      }
    }
    slot.worker = worker;
    this.options.onFork?.(worker, slot);
    // A message sent as the worker dies fails with ERR_IPC_CHANNEL_CLOSED; its 'exit' handles the rest.
    worker.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ERR_IPC_CHANNEL_CLOSED') this.options.log(`worker ${slot.index}: ${error.message}`, { slot: slot.index, err: error.message }, 'warn');
    });
    worker.on('message', (message: unknown) => {
      if (isSpikeMessage(message) && message.spike === 'ready' && slot.worker === worker) {
        slot.state = 'ready';
        slot.available = true;
        const outage = slot.outages.at(-1);
        if (outage && outage.upAt === null) {
          outage.upAt = Date.now();
          outage.connectionsAtUp = slot.connections;
          this.options.log(`worker ${slot.index} back (pid ${worker.process.pid}) ${outage.upAt - outage.downAt} ms after it died`, { slot: slot.index, workerPid: worker.process.pid, restarts: slot.restarts, downMs: outage.upAt - outage.downAt });
        } else {
          this.options.log(`worker ${slot.index} ready (pid ${worker.process.pid}, weight ${slot.weight})`, { slot: slot.index, workerPid: worker.process.pid, weight: slot.weight });
        }
        this.notifyReady();
      }
    });
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
  }

  private onExit(slot: WorkerSlot, worker: Worker | undefined, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    // Out of the rotation at once, before anything else can pick it.
    slot.available = false;
    slot.worker = undefined;
    if (this.stopping) {
      slot.state = 'stopped';
      this.notifyReady();
      return;
    }
    const now = Date.now();
    slot.outages.push({ downAt: now, connectionsAtDown: slot.connections, upAt: null, connectionsAtUp: null });
    if (slot.outages.length > 20) slot.outages.shift();
    slot.crashTimes = slot.crashTimes.filter((time) => now - time < this.options.crashWindowMs);
    slot.crashTimes.push(now);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (slot.crashTimes.length >= this.options.crashLimit) {
      slot.state = 'failed';
      this.options.log(`worker ${slot.index} died (${how}) ${slot.crashTimes.length} times in ${this.options.crashWindowMs / 1000} s; leaving it down, the other workers keep serving`, { slot: slot.index, code, signal, crashes: slot.crashTimes.length }, 'error');
      this.notifyReady();
      if (this.slots.every((each) => each.state === 'failed')) this.options.onAllFailed?.();
      return;
    }
    slot.state = 'down';
    const delay = restartDelayMs(slot.crashTimes.length);
    this.options.log(`worker ${slot.index} died (${how}); restarting in ${delay} ms`, { slot: slot.index, code, signal, restartInMs: delay }, 'warn');
    setTimeout(() => {
      if (this.stopping) return;
      slot.restarts++;
      this.fork(slot);
    }, delay).unref();
  }

  private notifyReady(): void {
    const waiters = this.readyWaiters.splice(0);
    for (const waiter of waiters) waiter();
  }
}
