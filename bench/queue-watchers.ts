// The queue cell's WebSocket watchers, in a process of their own (forked by
// bench/queue-cell.ts): in the driver's process their 10,000 sockets' message
// handling shared one event loop with the join flood, and the fan-out figure
// measured the driver's own delays as much as the server's.
//
// Protocol over IPC: the parent sends {url, count}; this process opens count
// sockets (200 at a time) and answers {ready}; on {report} it answers, for
// every serving-counter move made once every watcher was connected, the time
// from the move (stamped `at` by the primary's tick) until the last watcher
// knew of it: its first message with that serving counter or a later one (a
// watcher past uWS's backpressure limit is skipped to the next push, which
// supersedes the missed one; counting only moves every watcher received
// would leave out exactly the slow ones). A move some watcher never caught up
// with counts as Infinity. Then it exits. A move from
// before the last socket opened does not count: a watcher is sent the latest
// figures when it subscribes, so such a move "arrived" when its socket did,
// seconds after the move.
//
// The watchers are lean raw-socket clients (bench/lean-watcher.ts), not `ws`:
// they share the two cores with the server, and the figure is the server's.
import type net from 'node:net';
import { openLeanWatcher } from './lean-watcher';

interface Start {
  readonly url: string;
  readonly count: number;
}

/** When a watcher first had `serving` or later: a binary search of its rises; Infinity if never. */
function knewAt(seen: ReadonlyArray<[number, number]>, serving: number): number {
  let lo = 0;
  let hi = seen.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seen[mid]![0] < serving) lo = mid + 1;
    else hi = mid;
  }
  return lo < seen.length ? seen[lo]![1] : Infinity;
}

async function watch(start: Start): Promise<() => number[]> {
  /** Per watcher, [serving, arrival ms] each time its serving counter rose, in order. */
  const arrivals: Array<Array<[number, number]>> = [];
  const moves = new Map<number, number>();
  const sockets: net.Socket[] = [];
  const url = new URL(start.url);
  let next = 0;
  let closedEarly = 0;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < start.count) {
        const seen: Array<[number, number]> = [];
        arrivals[next++] = seen;
        const socket = await openLeanWatcher(url.hostname, Number(url.port), url.pathname, (message, arrivedAt) => {
          if (seen.length === 0 || message.serving > seen[seen.length - 1]![0]) seen.push([message.serving, arrivedAt]);
          if (!moves.has(message.serving)) moves.set(message.serving, message.at);
        });
        socket.once('close', () => closedEarly++);
        sockets.push(socket);
      }
    }),
  );
  const allOpenAt = Date.now();
  return () => {
    // A watcher the server closed would count every later move as never reached: say why.
    if (closedEarly > 0) console.error(`queue watchers: ${closedEarly} of ${sockets.length} watchers were closed by the server before the report`);
    for (const socket of sockets) socket.destroy();
    const delays: number[] = [];
    for (const [serving, at] of moves) {
      if (at < allOpenAt) continue;
      let last = 0;
      for (const seen of arrivals) {
        const known = knewAt(seen, serving);
        if (known > last) last = known;
      }
      delays.push(last - at);
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
