// What one run of the load generator measured. A bench phase is a series of
// such slices, each a fresh generator run, which gives the time series.

export interface LatencySketch {
  /** Microseconds. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** [percentile, microseconds], ascending. */
  readonly quantiles: ReadonlyArray<readonly [number, number]>;
}

export interface SliceResult {
  /** Wall-clock start and end, milliseconds after the phase began. */
  startMs: number;
  endMs: number;
  /** Time the generator itself says it was loading the server. */
  durationMs: number;
  /** Requests handed to the server (sent or being sent), repeat buyers included. */
  sent: number;
  /** Of those, requests that reused a buyer id sent earlier (a generator without repeats leaves it out). */
  repeats?: number;
  /** The order id of every 201, read from its body (a generator that reads no bodies leaves it out). */
  boughtOrderIds?: string[];
  /** Complete responses received. */
  responses: number;
  statuses: Record<string, number>;
  errors: { connect: number; read: number; write: number; timeout: number };
  latency: LatencySketch;
  /** CPU time the generator process used (user + system), milliseconds. */
  cpuMs: number;
  endedBy: 'time' | 'quota' | 'stop';
  /** Label given by the phase driver, e.g. "selling" or "sold-out". */
  phase?: string;
}

export interface SliceRequest {
  readonly url: string;
  /** Path up to the id, e.g. "/buy/ticket?user=u". */
  readonly pathPrefix: string;
  /** Ids start after this number. */
  readonly firstId: number;
  /** Stop after this many requests (0: no limit). */
  readonly quota: number;
  /** Percent of requests that reuse an earlier buyer id of the slice, so the per-buyer limit is exercised (0: every buyer new). */
  readonly repeatPercent?: number;
  readonly connections: number;
  readonly threads: number;
  readonly durationMs: number;
  readonly timeoutSeconds: number;
  /** Polled while the slice runs; resolving true ends the slice early. */
  readonly stopWhen?: () => Promise<boolean>;
  readonly stopPollMs?: number;
}

export interface LoadGenerator {
  readonly name: string;
  runSlice(request: SliceRequest): Promise<SliceResult>;
  /** The next free id after a slice that started at firstId. */
  nextId(request: SliceRequest, result: SliceResult): number;
}
