// Who shares the ledger: the live boxes (spike instances) and their weights.
// A worker's allowance is its weight's share of the remaining stock over the
// total weight of every live box, so boxes that share one sale do not each
// size their workers as if they were alone.

export interface TopologyView {
  /** Live boxes, this one included. */
  readonly boxes: number;
  /** Sum of the live boxes' weights (a box weighs the sum of its workers' weights). */
  readonly totalWeight: number;
}

export interface Topology {
  current(): TopologyView;
  /** Registers this box and keeps its heartbeat; `changed` hears every new view. */
  start(changed: (view: TopologyView) => void): Promise<void>;
  /** Leaves the topology at once, so the others take this box's share without waiting for its heartbeat to lapse. */
  stop(): Promise<void>;
}

/** The embedded ledger lives in one primary: that box is the whole topology. */
export function singleBox(weight: number): Topology {
  const view = { boxes: 1, totalWeight: weight };
  return { current: () => view, start: async () => {}, stop: async () => {} };
}
