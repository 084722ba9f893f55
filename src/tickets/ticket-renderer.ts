// A worker's ticket renderer: a piscina pool of TICKET_THREADS render
// threads, or the worker's own thread when TICKET_THREADS is 0 (the bench's
// comparison). One pool per worker, not one in the primary: see the README's
// "Tickets" section for the measurement behind that choice.
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { KeyObject } from 'node:crypto';
import type { RenderThreadData } from './render-thread';
import { renderTicket, type RenderTask, type RenderedTicket } from './ticket-render';

export interface TicketRendererOptions {
  readonly privateKey: KeyObject;
  readonly threads: number;
  readonly nice: 'idle' | number;
}

export class TicketRenderer {
  private readonly pool: Piscina<RenderTask, RenderedTicket> | undefined;

  constructor(private readonly options: TicketRendererOptions) {
    if (options.threads === 0) return;
    const workerData: RenderThreadData = { privateKeyPem: String(options.privateKey.export({ type: 'pkcs8', format: 'pem' })), nice: options.nice };
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

  render(task: RenderTask): Promise<RenderedTicket> {
    return this.pool ? this.pool.run(task) : renderTicket(task, this.options.privateKey);
  }

  async close(): Promise<void> {
    await this.pool?.close({ force: true });
  }
}
