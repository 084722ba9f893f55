// Counts requests and knows how many are still in flight, so a draining
// worker can wait for the last answer before it exits.

export class RequestTracker {
  requests = 0;
  inFlight = 0;
  draining = false;
  private idleWaiters: Array<() => void> = [];

  /** Forgets the requests counted so far (the front's warm-up's), keeping those in flight. */
  forgetRequests(): void {
    this.requests = 0;
  }

  /** Counts a request answered synchronously, which is never in flight. */
  count(): void {
    this.requests++;
  }

  /** Call when a request starts; call the returned function once it is answered or aborted. */
  begin(): () => void {
    this.requests++;
    this.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      if (this.inFlight === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
    };
  }

  /** Resolves when nothing is in flight, or after timeoutMs, whichever is first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
