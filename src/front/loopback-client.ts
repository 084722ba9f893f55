// One HTTP/1.0 exchange on a loopback connection of its own, as `ab` sends
// them: what the warm-ups (src/worker/warm-up.ts, front-warm-up.ts) drive
// spike's own listeners with before the first buyer comes.
import net from 'node:net';

/** Sends `request` (a whole HTTP/1.0 request) and resolves with the answer's status code once the server closes (0: no answer). */
export function exchangeOnce(port: number, request: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (head.length < 16) head += chunk;
    });
    socket.on('error', () => resolve(0));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.end(request);
  });
}

/** Runs `count` exchanges, `concurrency` at a time; answers the count of each status code. */
export async function exchangeMany(port: number, count: number, concurrency: number, requestFor: (index: number) => string): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let sent = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (sent < count) {
        const status = String(await exchangeOnce(port, requestFor(sent++)));
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}
