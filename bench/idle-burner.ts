// A yardstick for the render burst: a process that does the same work as the
// render threads (signing and drawing PNG tickets) on two threads, started by
// its parent under `chrt --idle 0` so that every thread runs at SCHED_IDLE.
// It uses only CPU no normal thread wants. Whatever it costs the purchase
// path is what this machine charges for using its spare CPU at all; the
// render burst is held to that. Prints "ready" once both threads render.
import { generateKeyPairSync } from 'node:crypto';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { renderTicket } from '../src/tickets/ticket-render';

const THREADS = 2;

async function renderForever(): Promise<never> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const payload = { ticketId: 'burner', saleId: 'burner', orderId: 'burner.0', userId: 'burner', issuedAt: Date.now(), saleName: 'burner', opensAt: 0, closesAt: 0 };
  await renderTicket({ payload, format: 'png' }, privateKey);
  parentPort?.postMessage('rendering');
  for (;;) await renderTicket({ payload, format: 'png' }, privateKey);
}

if (isMainThread) {
  let rendering = 0;
  for (let i = 0; i < THREADS; i++) {
    new Worker(__filename).on('message', () => {
      if (++rendering === THREADS) console.log('ready');
    });
  }
} else {
  void renderForever();
}
