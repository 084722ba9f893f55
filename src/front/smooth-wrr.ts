// nginx's smooth weighted round-robin: weights 5,1,1 pick a a b a c a a, so a
// heavy peer's turns are spread out instead of coming in a burst. Peers that
// are down are skipped without disturbing the others' rhythm.

export interface WeightedPeer {
  readonly weight: number;
  /** Down or not ready peers are never picked. */
  available: boolean;
}

export class SmoothWeightedRoundRobin<P extends WeightedPeer> {
  private readonly current: number[];

  constructor(private readonly peers: readonly P[]) {
    for (const peer of peers) {
      if (!Number.isInteger(peer.weight) || peer.weight < 1) throw new RangeError(`peer weight must be a positive integer, got ${peer.weight}`);
    }
    this.current = peers.map(() => 0);
  }

  /** The next available peer, or undefined when none is available. */
  pick(): P | undefined {
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.peers.length; i++) {
      const peer = this.peers[i]!;
      if (!peer.available) continue;
      this.current[i]! += peer.weight;
      total += peer.weight;
      if (best === -1 || this.current[i]! > this.current[best]!) best = i;
    }
    if (best === -1) return undefined;
    this.current[best]! -= total;
    return this.peers[best];
  }

  /** The next available peer not in `tried` (a connection re-routed after a failure), or undefined. */
  pickExcept(tried: ReadonlySet<P> | undefined): P | undefined {
    // One full turn of the rhythm visits every available peer at least once.
    for (let attempt = 0; attempt <= this.peers.length; attempt++) {
      const peer = this.pick();
      if (peer === undefined) return undefined;
      if (!tried?.has(peer)) return peer;
    }
    return undefined;
  }
}
