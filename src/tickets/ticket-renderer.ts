// A worker's ticket renderer: a piscina pool of TICKET_THREADS render
// threads, or the worker's own thread when TICKET_THREADS is 0 (the bench's
// comparison). One pool per worker, not one in the primary: see the README's
// "Tickets" section for the measurement behind that choice.
//
// The wait is bounded. Render threads take only the CPU the event loops
// leave (SCHED_IDLE), so beside a purchase flood they draw some tens of
// tickets a second per box (the README gives the measured rates), and a burst
// of ticket requests would otherwise queue without limit: each one a held
// connection, answered long after, or after the client gave up. Past
// `maxWaiting` renders waiting in this worker, a request is answered at once
// with 503 tickets_busy and a retry-after of about what a render takes here
// now.
import { join } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { randomUUID, type KeyObject } from 'node:crypto';
import { spikeError } from '../errors/errors';
import type { PriorityReport, RenderThreadData } from './render-thread';
import { renderTicket, type RenderTask, type RenderedTicket } from './ticket-render';

export interface TicketRendererOptions {
  readonly privateKey: KeyObject;
  readonly threads: number;
  readonly nice: 'idle' | number;
  /** Renders that may wait beyond the ones being drawn (one per thread); further ones are refused. */
  readonly maxWaiting: number;
  /**
   * Called once every thread has said whether it lowered its priority as
   * `nice` asks. A thread that could not (no `chrt`, or not permitted)
   * renders in competition with the event loops, which costs the purchase
   * path latency, never correctness: worth a log line.
   */
  readonly onPriorities?: (report: { readonly threads: number; readonly notLowered: number }) => void;
}

/** The longest retry-after a busy answer gives, in seconds: past it, a client should not be told to sit idle. */
const MAX_RETRY_AFTER_S = 60;

export class TicketRenderer {
  private readonly pool: Piscina<RenderTask, RenderedTicket> | undefined;
  /** Renders accepted and not yet finished: the ones being drawn and the ones waiting. */
  private inFlight = 0;
  /** A moving average of a render's time from acceptance to result, in ms: what the next one should expect. */
  private recentMs = 0;
  /** Requests answered tickets_busy, for tests (the HTTP metrics count the 503s by route). */
  refused = 0;

  constructor(private readonly options: TicketRendererOptions) {
    if (options.threads === 0) return;
    const priorityChannel = `spike-render-priority-${randomUUID()}`;
    this.hearPriorities(priorityChannel);
    const workerData: RenderThreadData = { privateKeyPem: String(options.privateKey.export({ type: 'pkcs8', format: 'pem' })), nice: options.nice, priorityChannel };
    this.pool = new Piscina({
      filename: join(__dirname, 'render-thread.js'),
      minThreads: options.threads,
      maxThreads: options.threads,
      // Threads stay up: starting one costs more than many renders.
      idleTimeout: Infinity,
      workerData,
    });
  }

  get threads(): number {
    return this.options.threads;
  }

  /** Signs and draws one ticket; throws tickets_busy (503) when maxWaiting renders already wait. */
  async render(task: RenderTask): Promise<RenderedTicket> {
    const drawing = Math.max(1, this.options.threads);
    if (this.inFlight >= drawing + this.options.maxWaiting) {
      this.refused++;
      const retryAfter = Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(this.recentMs / 1000)));
      throw spikeError('TICKETS_BUSY', { waiting: this.inFlight - drawing, retryAfter }).withHeaders({ 'retry-after': String(retryAfter) });
    }
    this.inFlight++;
    const started = performance.now();
    try {
      return await (this.pool ? this.pool.run(task) : renderTicket(task, this.options.privateKey));
    } finally {
      this.inFlight--;
      const took = performance.now() - started;
      this.recentMs = this.recentMs === 0 ? took : this.recentMs * 0.9 + took * 0.1;
    }
  }

  /**
   * Each thread reports once whether it lowered its priority; the renderer
   * listens until every thread has (a thread the pool replaces reports
   * again, past that, unheard: the first failure is the one worth a log line).
   */
  private hearPriorities(name: string): void {
    const channel = new BroadcastChannel(name);
    // Never hold the worker up for it.
    channel.unref();
    let heard = 0;
    let notLowered = 0;
    channel.onmessage = (event) => {
      const report = event.data as PriorityReport;
      heard++;
      if (!report.lowered) notLowered++;
      if (heard < this.options.threads) return;
      channel.close();
      this.options.onPriorities?.({ threads: heard, notLowered });
    };
  }

  async close(): Promise<void> {
    await this.pool?.close({ force: true });
  }
}
