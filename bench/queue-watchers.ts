// The queue cell's WebSocket watchers, in a process of their own (forked by
// bench/queue-cell.ts): in the driver's process their 10,000 sockets' message
// handling shared one event loop with the join flood, and the fan-out figure
// measured the driver's own delays as much as the server's.
//
// Protocol over IPC: the parent sends {url, count}; this process opens count
// sockets (200 at a time) and answers {ready}; on {report} it answers, for
// every serving-counter move that reached every watcher, the time from the
// move (stamped `at` by the primary's tick) to the last watcher's message,
// then exits.
import WebSocket from 'ws';

interface Start {
  readonly url: string;
  readonly count: number;
}

async function watch(start: Start): Promise<() => number[]> {
  const arrivals: Array<Map<number, number>> = [];
  const moves = new Map<number, number>();
  const sockets: WebSocket[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < start.count) {
        const seen = new Map<number, number>();
        arrivals[next++] = seen;
        const socket = new WebSocket(start.url);
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { serving: number; at: number };
          if (!seen.has(message.serving)) seen.set(message.serving, Date.now());
          if (!moves.has(message.serving)) moves.set(message.serving, message.at);
        });
        sockets.push(socket);
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
      }
    }),
  );
  return () => {
    for (const socket of sockets) socket.terminate();
    const delays: number[] = [];
    for (const [serving, at] of moves) {
      let last = 0;
      let reached = 0;
      for (const seen of arrivals) {
        const t = seen.get(serving);
        if (t === undefined) break;
        reached++;
        if (t > last) last = t;
      }
      if (reached === arrivals.length) delays.push(last - at);
    }
    return delays.sort((a, b) => a - b);
  };
}

if (require.main === module) {
  let report: (() => number[]) | undefined;
  process.on('message', (message: { start?: Start; report?: true }) => {
    if (message.start) {
      watch(message.start).then(
        (done) => {
          report = done;
          process.send!({ ready: true });
        },
        (error: Error) => process.send!({ error: error.message }),
      );
    } else if (message.report && report) {
      process.send!({ delays: report() }, () => process.exit(0));
    }
  });
}
