// Group commit for reservations, as databases batch their log writes: while
// one script call for a sale is in flight, the reservations that arrive for
// that sale wait, and go together as the next call (reserveTickets-8.lua
// runs them one after another, each exactly as if alone). Under a flood a
// worker then pays one script call, one write, one round trip and one reply
// per batch, not per order, and Redis, the one thread every worker and box
// shares, pays its per-call overhead once per batch. A lone buyer waits for
// nobody: a sale with no call in flight sends at once. Each sale has its own
// lane, so a slow sale never holds up another.

/** One order's six script arguments (see reserveTickets-8.lua): userId, requestKey, orderId, now, passPlace, passExpiresAt. */
export type OrderArgs = readonly [string, string, string, number, number | '', number | ''];

/** Sends one batch of one sale's orders; answers one reply (or that order's own error) per order, in order. */
export type SendBatch<Reply> = (saleId: string, orders: readonly OrderArgs[]) => Promise<Array<Reply | Error>>;

interface Waiting<Reply> {
  readonly order: OrderArgs;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

export class ReservationBatcher<Reply> {
  /** Per sale with a call in flight: the orders waiting for the next call. */
  private readonly lanes = new Map<string, Array<Waiting<Reply>>>();

  /** `maxBatch`: the most orders one call carries; the rest wait for the call after. */
  constructor(private readonly send: SendBatch<Reply>, private readonly maxBatch: number) {
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a whole number >= 1, got ${maxBatch}`);
  }

  reserve(saleId: string, order: OrderArgs): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const waiting = this.lanes.get(saleId);
      if (waiting !== undefined) {
        waiting.push({ order, resolve, reject });
        return;
      }
      this.lanes.set(saleId, []);
      this.dispatch(saleId, [{ order, resolve, reject }]);
    });
  }

  private dispatch(saleId: string, batch: Array<Waiting<Reply>>): void {
    let sent: Promise<Array<Reply | Error>>;
    try {
      sent = this.send(saleId, batch.map((w) => w.order));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (replies) => {
        for (let i = 0; i < batch.length; i++) {
          const reply = replies[i];
          if (reply === undefined) batch[i]!.reject(new Error(`the reservation batch answered ${replies.length} replies for ${batch.length} orders`));
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

  /** The call in flight answered: the orders that came meanwhile go now, or the lane closes. */
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
