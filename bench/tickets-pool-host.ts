// A child process that hosts a ticket render pool and serves it over Node's
// IPC channel: the stand-in for "one pool in the primary", so the bench can
// measure what the hop from a worker to the primary costs against a pool in
// the worker itself. It reports its own event-loop use, which in the real
// primary would be taken from balancing and (embedded) the ledger.
import { performance } from 'node:perf_hooks';
import { ed25519PrivateKey, type TicketPayload } from '../src/tickets/ticket-codec';
import type { TicketFormat } from '../src/tickets/ticket-render';
import { TicketRenderer } from '../src/tickets/ticket-renderer';

interface HostRequest {
  readonly id: number;
  readonly payload?: TicketPayload;
  readonly format?: TicketFormat;
  /** Ask for the event-loop utilization since the last such request. */
  readonly elu?: true;
}

const renderer = new TicketRenderer({ privateKey: ed25519PrivateKey(process.env.BENCH_TICKET_KEY!), threads: Number(process.env.BENCH_TICKET_THREADS), nice: 0, maxWaiting: Infinity });
let since = performance.eventLoopUtilization();
process.on('message', (message: HostRequest) => {
  if (message.elu) {
    const now = performance.eventLoopUtilization();
    process.send!({ id: message.id, elu: performance.eventLoopUtilization(now, since).utilization });
    since = now;
    return;
  }
  renderer.render({ payload: message.payload!, format: message.format! }).then(
    // The image crosses IPC as base64, as an IPC answer to the worker would.
    (rendered) => process.send!({ id: message.id, ticket: rendered.ticket, image: rendered.image ? Buffer.from(rendered.image).toString('base64') : undefined }),
    (error: Error) => process.send!({ id: message.id, error: error.message }),
  );
});
process.on('disconnect', () => void renderer.close().then(() => process.exit(0)));
process.send!({ ready: true });
