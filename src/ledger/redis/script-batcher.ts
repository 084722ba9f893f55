// Group commit for one sale's script calls, as databases batch their log
// writes: while one call for a sale is in flight, the requests that arrive for
// that sale wait, and go together as the next call (reserveTickets-8.lua and
// checkInTickets-3.lua run them one after another, each exactly as if alone).
// Under a flood a worker then pays one script call, one write, one round trip
// and one reply per batch, not per request, and Redis, the one thread every
// worker and box shares, pays its per-call overhead once per batch. Each sale
// has its own lane, so a slow sale never holds up another.
//
// The window (REDIS_BATCH_WINDOW_MS): while fewer than WORTH_A_CALL requests
// wait, a sale's next call also waits until the window since the last call's
// start has passed. Without it a batch is only what arrives during one round
// trip, and on a loopback Redis that is short: under the seed's `ab` (a
// connection per request, so the box is busy with connections) a worker sent
// 1.8 orders per call, and each call costs the worker and Redis, which share
// the cores, a fixed overhead. With the window it sent about 7, and the box
// sold about a quarter faster. Where round trips already carry WORTH_A_CALL or
// more (kept-alive load: about 20), nothing waits, because waiting would only
// add latency (measured: 10-15% fewer sales with 100 connections kept alive
// when every call waited). A lone request waits for nobody: a sale with no
// call in the last window sends at once.

/** Sends one batch of one sale's requests; answers one reply (or that request's own error) per request, in order. */
export type SendBatch<Args, Reply> = (saleId: string, batch: readonly Args[]) => Promise<Array<Reply | Error>>;

interface Waiting<Args, Reply> {
  readonly args: Args;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

/** One sale's lane: open from its first call until a window passes with nobody waiting. */
interface Lane<Args, Reply> {
  readonly waiting: Array<Waiting<Args, Reply>>;
  /** When the last call started (performance.now()). */
  sentAt: number;
  /** Set while the lane waits out the window after a call answered. */
  timer: NodeJS.Timeout | null;
}

/** Enough requests for one call that its fixed cost is spread thin: more wait for nothing. */
export const WORTH_A_CALL = 8;

export interface ScriptBatcherOptions {
  /** The most requests one call carries; the rest wait for the call after. */
  readonly maxBatch: number;
  /** While fewer than WORTH_A_CALL wait, the least time between the starts of two of one sale's calls, ms; 0: the next call goes as soon as the last one answers. */
  readonly windowMs: number;
}

export class ScriptBatcher<Args, Reply> {
  private readonly lanes = new Map<string, Lane<Args, Reply>>();
  private readonly maxBatch: number;
  private readonly windowMs: number;
  /** WORTH_A_CALL, or maxBatch when that is smaller. */
  private readonly enough: number;

  constructor(private readonly send: SendBatch<Args, Reply>, options: ScriptBatcherOptions) {
    const { maxBatch, windowMs } = options;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a whole number >= 1, got ${maxBatch}`);
    if (!Number.isFinite(windowMs) || windowMs < 0) throw new RangeError(`windowMs must be a number >= 0, got ${windowMs}`);
    this.maxBatch = maxBatch;
    this.windowMs = windowMs;
    this.enough = Math.min(WORTH_A_CALL, maxBatch);
  }

  /** One request's reply, or its error: its own, or the whole call's. */
  call(saleId: string, args: Args): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const lane = this.lanes.get(saleId);
      if (lane === undefined) {
        const opened: Lane<Args, Reply> = { waiting: [], sentAt: 0, timer: null };
        this.lanes.set(saleId, opened);
        this.dispatch(saleId, opened, [{ args, resolve, reject }]);
        return;
      }
      lane.waiting.push({ args, resolve, reject });
      if (lane.timer !== null && lane.waiting.length >= this.enough) {
        clearTimeout(lane.timer);
        this.next(saleId, lane);
      }
    });
  }

  private dispatch(saleId: string, lane: Lane<Args, Reply>, batch: Array<Waiting<Args, Reply>>): void {
    lane.sentAt = performance.now();
    let sent: Promise<Array<Reply | Error>>;
    try {
      sent = this.send(saleId, batch.map((w) => w.args));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (replies) => {
        for (let i = 0; i < batch.length; i++) {
          const reply = replies[i];
          if (reply === undefined) batch[i]!.reject(new Error(`the batch answered ${replies.length} replies for ${batch.length} requests`));
          else if (reply instanceof Error) batch[i]!.reject(reply);
          else batch[i]!.resolve(reply);
        }
        this.answered(saleId, lane);
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
        this.answered(saleId, lane);
      },
    );
  }

  /** The call in flight answered: the next goes at once if enough wait or the window since it started has passed, else when it has. */
  private answered(saleId: string, lane: Lane<Args, Reply>): void {
    const rest = this.windowMs - (performance.now() - lane.sentAt);
    if (rest <= 0 || lane.waiting.length >= this.enough) {
      this.next(saleId, lane);
      return;
    }
    // Timed on the event loop's ms clock, this may end a millisecond early: harmless, a window is not a deadline.
    lane.timer = setTimeout(() => this.next(saleId, lane), rest);
  }

  /** The requests that came meanwhile go now, or the lane closes. */
  private next(saleId: string, lane: Lane<Args, Reply>): void {
    lane.timer = null;
    if (lane.waiting.length === 0) {
      this.lanes.delete(saleId);
      return;
    }
    this.dispatch(saleId, lane, lane.waiting.splice(0, this.maxBatch));
  }
}
