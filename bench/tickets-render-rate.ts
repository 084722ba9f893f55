// Tickets signed and rendered (PNG QR codes) per second, three ways, in this
// process: on the main thread, in a piscina pool here (the per-worker pool),
// and in a pool in another process behind one IPC hop (one pool in the
// primary). Also how long the event loop stalled meanwhile: the cost a
// purchase would wait behind.
import { fork } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ticketPayload, type TicketPayload } from '../src/tickets/ticket-codec';
import { TicketRenderer } from '../src/tickets/ticket-renderer';

export interface RenderRate {
  readonly mode: 'main thread' | 'pool in this process' | 'pool behind an IPC hop';
  readonly threads: number;
  readonly renders: number;
  readonly perSecond: number;
  /** The worst event-loop stall here while rendering, ms. */
  readonly maxLoopDelayMs: number;
  /** For the IPC hop: the hosting process's event-loop utilization (0-1). */
  readonly hostElu?: number;
}

function payloads(count: number): TicketPayload[] {
  const sale = { name: 'Tickets bench: a concert', opensAt: 1_800_000_000_000, closesAt: 1_800_003_600_000 };
  return Array.from({ length: count }, (_, i) => ticketPayload({ orderId: `bench-sale.order${String(i).padStart(8, '0')}`, saleId: 'bench-sale', userId: `buyer-${i}`, updatedAt: 1_800_000_000_000 + i }, sale));
}

async function timed(mode: RenderRate['mode'], threads: number, renders: number, concurrency: number, render: (p: TicketPayload) => Promise<unknown>): Promise<RenderRate> {
  const items = payloads(renders);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await render(items[next++]!);
  }));
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  return { mode, threads, renders, perSecond: renders / seconds, maxLoopDelayMs: delay.max / 1e6 };
}

async function viaIpc(privateKey: KeyObject, threads: number, renders: number, concurrency: number): Promise<RenderRate> {
  const child = fork(join(__dirname, 'tickets-pool-host.js'), [], {
    env: { ...process.env, BENCH_TICKET_KEY: String(privateKey.export({ type: 'pkcs8', format: 'pem' })), BENCH_TICKET_THREADS: String(threads) },
    serialization: 'json',
  });
  const waiting = new Map<number, (answer: any) => void>();
  let ids = 0;
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  child.on('message', (answer: any) => {
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  const ask = (message: object) => new Promise<any>((resolve) => {
    const id = ++ids;
    waiting.set(id, resolve);
    child.send({ id, ...message });
  });
  try {
    await timed('pool behind an IPC hop', threads, 50, concurrency, (payload) => ask({ payload, format: 'png' }));
    await ask({ elu: true });
    const rate = await timed('pool behind an IPC hop', threads, renders, concurrency, (payload) => ask({ payload, format: 'png' }));
    const { elu } = await ask({ elu: true });
    return { ...rate, hostElu: elu };
  } finally {
    child.disconnect();
  }
}

/** The three ways, `renders` PNG tickets each, `concurrency` in flight. */
export async function renderRates(options: { renders: number; threads: number; concurrency: number }): Promise<RenderRate[]> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const main = new TicketRenderer({ privateKey, threads: 0, nice: 0, maxWaiting: Infinity });
  const pool = new TicketRenderer({ privateKey, threads: options.threads, nice: 0, maxWaiting: Infinity });
  try {
    // Warm-up: JIT and the threads' start.
    await timed('main thread', 0, 50, options.concurrency, (payload) => main.render({ payload, format: 'png' }));
    await timed('pool in this process', options.threads, 50, options.concurrency, (payload) => pool.render({ payload, format: 'png' }));
    return [
      await timed('main thread', 0, options.renders, options.concurrency, (payload) => main.render({ payload, format: 'png' })),
      await timed('pool in this process', options.threads, options.renders, options.concurrency, (payload) => pool.render({ payload, format: 'png' })),
      await viaIpc(privateKey, options.threads, options.renders, options.concurrency),
    ];
  } finally {
    await pool.close();
  }
}
