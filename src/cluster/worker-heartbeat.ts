// Liveness of each worker, seen from the primary: an IPC ping every interval,
// answered by the worker's event loop. A worker that stops answering (frozen,
// SIGSTOPped, stuck in a loop) is taken out of the rotation within about
// WORKER_UNRESPONSIVE_MS, put back when it answers, and killed (so the
// supervisor restarts it) only once it has been silent for WORKER_HANG_RESTART_MS.
import type { Worker } from 'node:cluster';
import type { PingMessage } from '../ipc/messages';
import { isSpikeMessage } from '../ipc/messages';
import type { WorkerSlot } from './supervisor';

export interface HeartbeatOptions {
  readonly intervalMs: number;
  readonly unresponsiveMs: number;
  readonly restartAfterMs: number;
  readonly log: (line: string) => void;
}

interface Watch {
  readonly worker: Worker;
  /** When the oldest ping still unanswered was sent; null when all are answered. */
  waitingSince: number | null;
  /** Set while this worker is out of the rotation for not answering. */
  silentSince: number | null;
  seq: number;
}

export class WorkerHeartbeat {
  private readonly watches = new Map<WorkerSlot, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;

  constructor(private readonly options: HeartbeatOptions) {}

  /** Follows the process now in this slot (call on every fork). */
  watch(worker: Worker, slot: WorkerSlot): void {
    const watch: Watch = { worker, waitingSince: null, silentSince: null, seq: 0 };
    this.watches.set(slot, watch);
    worker.on('message', (message: unknown) => {
      if (!isSpikeMessage(message) || message.spike !== 'pong' || this.watches.get(slot) !== watch) return;
      if (message.seq !== watch.seq) return; // an answer to a ping we already gave up on; the next one counts
      watch.waitingSince = null;
      if (watch.silentSince !== null) {
        this.options.log(`worker ${slot.index} (pid ${worker.process.pid}) answers again after ${Date.now() - watch.silentSince} ms; routing to it again`);
        watch.silentSince = null;
        if (slot.state === 'ready') slot.available = true;
      }
    });
  }

  start(slots: readonly WorkerSlot[]): void {
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(slots), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(slots: readonly WorkerSlot[]): void {
    const now = Date.now();
    // If the primary itself was stalled, the answers may be waiting unread behind this timer: judge nobody this time.
    const primaryStalled = now - this.lastTick > this.options.intervalMs * 2;
    this.lastTick = now;
    for (const slot of slots) {
      const watch = this.watches.get(slot);
      if (!watch || slot.worker !== watch.worker || slot.state !== 'ready' || !watch.worker.isConnected()) continue;
      if (watch.waitingSince === null) {
        this.ping(watch, now);
        continue;
      }
      if (primaryStalled) continue;
      const silentFor = now - watch.waitingSince;
      if (silentFor >= this.options.restartAfterMs) {
        this.options.log(`worker ${slot.index} (pid ${watch.worker.process.pid}) has not answered for ${silentFor} ms; killing it so it is restarted`);
        watch.waitingSince = null;
        watch.worker.process.kill('SIGKILL');
      } else if (silentFor >= this.options.unresponsiveMs && watch.silentSince === null) {
        watch.silentSince = watch.waitingSince;
        slot.available = false;
        this.options.log(`worker ${slot.index} (pid ${watch.worker.process.pid}) has not answered for ${silentFor} ms; no new connections go to it until it does`);
      }
    }
  }

  private ping(watch: Watch, now: number): void {
    watch.seq++;
    watch.waitingSince = now;
    const ping: PingMessage = { spike: 'ping', seq: watch.seq };
    watch.worker.send(ping, () => {});
  }
}

/** The worker's side: answer every ping from the event loop, so an answer proves the loop runs. */
export function answerHeartbeats(): void {
  process.on('message', (message: unknown) => {
    if (isSpikeMessage(message) && message.spike === 'ping' && process.connected) process.send!({ spike: 'pong', seq: message.seq }, () => {});
  });
}
