// What the front needs to know of a worker to route connections to it.
import type { Worker } from 'node:cluster';
import type { WeightedPeer } from './smooth-wrr';

/** A worker as the front sees it: the supervisor's slots are these. */
export interface Backend extends WeightedPeer {
  /** The worker's private uWS listener (proxy mode connects there). */
  readonly socketPath: string;
  /** The process in the slot now; undefined while it is down. */
  readonly worker: Worker | undefined;
  /** Connections the balancer handed to this backend. */
  connections: number;
}
