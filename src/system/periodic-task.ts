// A job the primary runs every few hundred milliseconds against the ledger
// (the hold sweeper, the ticket issuer, the queue tick): one pass at a time,
// the next one an interval after the last ended, a clean stop that waits for
// the pass in flight, and one warning when the ledger goes away and one when
// it is back, not one per pass of an outage.
export interface PeriodicTaskOptions {
  /** Names the job in its warnings: "hold sweeper". */
  readonly name: string;
  readonly intervalMs: number;
  /** Delay before the first pass; one interval unless said otherwise. */
  readonly firstPassMs?: number;
  /** What waits while the ledger is away: "expired holds wait until it is back". */
  readonly whileAway: string;
  /** What resumes when it answers: "expiring holds"; empty to say nothing more. */
  readonly onceBack: string;
  /** How a failed pass is named; "cannot reach the ledger" unless the job fails in other ways too. */
  readonly failedAs?: string;
  /** How its recovery is named; "the ledger answers again" unless said otherwise. */
  readonly backAs?: string;
  readonly warn: (line: string) => void;
}

export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private failing = false;

  constructor(private readonly options: PeriodicTaskOptions, private readonly pass: () => Promise<unknown>) {}

  start(): void {
    const tick = () => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    this.timer = setTimeout(tick, this.options.firstPassMs ?? this.options.intervalMs);
  }

  /** stop() was called while a pass runs: a long pass may end early. */
  get stopping(): boolean {
    return this.timer === undefined && this.running !== undefined;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs one pass's ledger work; a failure is reported once per outage and leaves the work for a later pass. */
  async guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
      const { name, backAs = 'the ledger answers again', onceBack } = this.options;
      if (this.failing) this.options.warn(`${name}: ${backAs}${onceBack ? `; ${onceBack}` : ''}`);
      this.failing = false;
    } catch (error) {
      const { name, failedAs = 'cannot reach the ledger', whileAway } = this.options;
      if (!this.failing) this.options.warn(`${name}: ${failedAs} (${(error as Error).message}); ${whileAway}`);
      this.failing = true;
    }
  }
}
