// Group commit for one sale's script calls, as databases batch their log
// writes: while one call for a sale is in flight, the requests that arrive for
// that sale wait, and go together as the next call (reserveTickets-8.lua and
// checkInTickets-3.lua run them one after another, each exactly as if alone).
// Under a flood a worker then pays one script call, one write, one round trip
// and one reply per batch, not per request, and Redis, the one thread every
// worker and box shares, pays its per-call overhead once per batch. A lone
// request waits for nobody: a sale with no call in flight sends at once. Each
// sale has its own lane, so a slow sale never holds up another.

/** Sends one batch of one sale's requests; answers one reply (or that request's own error) per request, in order. */
export type SendBatch<Args, Reply> = (saleId: string, batch: readonly Args[]) => Promise<Array<Reply | Error>>;

interface Waiting<Args, Reply> {
  readonly args: Args;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

export class ScriptBatcher<Args, Reply> {
  /** Per sale with a call in flight: the requests waiting for the next call. */
  private readonly lanes = new Map<string, Array<Waiting<Args, Reply>>>();

  /** `maxBatch`: the most requests one call carries; the rest wait for the call after. */
  constructor(private readonly send: SendBatch<Args, Reply>, private readonly maxBatch: number) {
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a whole number >= 1, got ${maxBatch}`);
  }

  /** One request's reply, or its error: its own, or the whole call's. */
  call(saleId: string, args: Args): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const waiting = this.lanes.get(saleId);
      if (waiting !== undefined) {
        waiting.push({ args, resolve, reject });
        return;
      }
      this.lanes.set(saleId, []);
      this.dispatch(saleId, [{ args, resolve, reject }]);
    });
  }

  private dispatch(saleId: string, batch: Array<Waiting<Args, Reply>>): void {
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
        this.next(saleId);
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
        this.next(saleId);
      },
    );
  }

  /** The call in flight answered: the requests that came meanwhile go now, or the lane closes. */
  private next(saleId: string): void {
    const waiting = this.lanes.get(saleId)!;
    if (waiting.length === 0) {
      this.lanes.delete(saleId);
      return;
    }
    // The lane keeps what is past maxBatch, and whatever comes while this batch is in flight.
    this.dispatch(saleId, waiting.splice(0, this.maxBatch));
  }
}
