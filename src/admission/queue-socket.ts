// The live line over a WebSocket on the same uWS server: /ws/sales/:id
// subscribes to the sale's topic, and every queue tick's figures are
// published to it (uWS pub/sub), so a push costs the same for 10 or 1,000,000
// watchers; each buyer works out their own place from their number. A slow
// reader is skipped past maxBackpressure (the next push supersedes the
// missed one), and one connection may watch at most MAX_SUBSCRIPTIONS sales.
import uWS, { type TemplatedApp, type WebSocket } from 'uWebSockets.js';
import type { QueueStatus, Sale } from '../ledger';
import type { WorkerAdmission } from './worker-admission';
import { BAD_SALE_ID, MAX_BACKPRESSURE, MAX_SUBSCRIPTIONS, subscribeTarget, SALE_ID, SUBSCRIBE_USAGE, TOO_MANY_SUBSCRIPTIONS } from './watch-protocol';

export { MAX_SUBSCRIPTIONS };

/** Where else each push goes: the watchers a handoff worker serves from Node (NodeWatchServer). */
export interface PushTarget {
  publish(saleId: string, message: string): void;
}

/** Unchanged figures are pushed again this often, so a watcher sees the line is alive. */
const HEARTBEAT_MS = 1000;

interface Watcher {
  readonly first: string;
  subscriptions: number;
}

const topicOf = (saleId: string) => `sale/${saleId}`;

export class QueueSocket {
  private readonly lastPushed = new Map<string, { key: string; at: number; message: string }>();

  /**
   * `pushMs`: changed figures go out at most this often (QUEUE_PUSH_MS). The
   * tick moves the line every QUEUE_TICK_MS; pushing each move of a 100 ms
   * tick to every watcher cost 10 messages a second per watcher, and with
   * 10,000 watchers the pushes queued up behind each other (seconds late on a
   * 2-core box). A change held back goes out with the first tick after the
   * interval, with that tick's figures, so a watcher is never more than one
   * interval behind. The interval is measured between the ticks' own stamps,
   * not between their arrivals here, so with the defaults (a tick every
   * 250 ms, a push at most every 250 ms) every tick is pushed the moment it
   * arrives, however unevenly the IPC delivers them.
   */
  constructor(
    private readonly app: TemplatedApp,
    private readonly admission: WorkerAdmission,
    private readonly saleOf: (saleId: string) => Sale | null | undefined,
    private readonly pushMs = 0,
    private readonly elsewhere: PushTarget | null = null,
  ) {
    app.ws<Watcher>('/ws/sales/:id', {
      compression: uWS.DISABLED,
      maxPayloadLength: 512,
      idleTimeout: 120,
      maxBackpressure: MAX_BACKPRESSURE,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const saleId = req.getParameter(0);
        if (!SALE_ID.test(saleId)) {
          res.writeStatus('400 Bad Request').end(BAD_SALE_ID);
          return;
        }
        res.upgrade<Watcher>({ first: saleId, subscriptions: 0 }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => this.subscribe(ws, ws.getUserData().first),
      message: (ws, data) => {
        // {"subscribe":"<saleId>"} watches one more sale on the same connection.
        const saleId = subscribeTarget(Buffer.from(data).toString());
        if (saleId === null) ws.send(SUBSCRIBE_USAGE);
        else this.subscribe(ws, saleId);
      },
    });
  }

  /**
   * Publishes each sale's figures when what a waiting buyer acts on changed
   * (the serving counter, which gives their place, the sale's status, the
   * draw), at most every pushMs; otherwise once a heartbeat, which also
   * carries the stock and the line's length as they are then.
   *
   * Joins alone change only the length, which tells a buyer nothing about
   * their own place (later joiners go behind them), and during a join flood
   * they changed it at every tick: 10,000 watchers pushed four times a second
   * took about half of this 2-core box from the joins (measured: the queue
   * cell's joins ran at 4,173/s with them and 8,741/s with one watcher).
   * Purchases alone change only the stock, and during the selling that
   * follows they change it at every tick; the stock ticking down tells a
   * waiting buyer that tickets are going, which once a second shows as well,
   * and the moment that decides their wait (the sale sold out or closed) is
   * a change of status, which goes out at once.
   */
  publish(statuses: readonly QueueStatus[], now: number): void {
    for (const status of statuses) {
      const sale = this.saleOf(status.saleId);
      if (!sale) continue;
      const figures = this.admission.statusMessage(sale, status, now);
      const key = `${figures.status}:${status.serving}:${status.drawn}`;
      const last = this.lastPushed.get(status.saleId);
      if (last && last.key === key && status.at - last.at < HEARTBEAT_MS) continue;
      if (last && status.at - last.at < this.pushMs) continue;
      const message = JSON.stringify(figures);
      this.lastPushed.set(status.saleId, { key, at: status.at, message });
      this.app.publish(topicOf(status.saleId), message);
      this.elsewhere?.publish(status.saleId, message);
    }
  }

  /** The figures last pushed for a sale, which a new watcher is sent at once. */
  latest(saleId: string): string | undefined {
    return this.lastPushed.get(saleId)?.message;
  }

  private subscribe(ws: WebSocket<Watcher>, saleId: string): void {
    const watcher = ws.getUserData();
    if (ws.isSubscribed(topicOf(saleId))) return;
    if (watcher.subscriptions >= MAX_SUBSCRIPTIONS) {
      ws.send(TOO_MANY_SUBSCRIPTIONS);
      return;
    }
    watcher.subscriptions++;
    ws.subscribe(topicOf(saleId));
    // The latest figures at once, so a new watcher need not wait for the next change.
    const last = this.lastPushed.get(saleId);
    if (last) ws.send(last.message);
  }
}
