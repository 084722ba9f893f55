// The figures GET /api/cluster shows: per worker its slot, weight, state,
// restarts and outages (the primary's own knowledge), plus the counters each
// live worker reports about itself over IPC.
import type { IpcRpc } from '../ipc/rpc';
import type { HoldSweeper, TopologyView } from '../ledger';
import type { TicketIssuer } from '../tickets';
import type { Outage, WorkerSlot } from './supervisor';

/** What a worker reports about itself (answered by its `workerStats` IPC handler). */
export interface WorkerSelfReport {
  readonly slot: number;
  readonly pid: number;
  readonly requests: number;
  readonly inFlight: number;
  readonly allowances: Record<string, unknown>;
  /** Per train: the gate's ledger calls (reservations and segment reads), reservations and extensions. */
  readonly trains?: Record<string, unknown>;
}

export interface ClusterStatsSources {
  readonly balancer: string;
  readonly ledgerDescription: string;
  readonly sweeper: HoldSweeper;
  readonly issuer: TicketIssuer;
  readonly slots: readonly WorkerSlot[];
  /** The IPC channel to the process now in each slot. */
  readonly rpcOf: (slot: WorkerSlot) => IpcRpc | undefined;
  /** Whether the balancer hands connections over itself (and so counts them per slot). */
  readonly countsConnections: boolean;
  /** The boxes sharing the ledger, as this box last read them. */
  readonly topology: TopologyView;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Times as ISO 8601 like every other time field of the API, and how long the worker was down (null while it still is). */
function outageToJson(outage: Outage) {
  return {
    downAt: iso(outage.downAt),
    upAt: iso(outage.upAt),
    downForMs: outage.upAt === null ? null : outage.upAt - outage.downAt,
    connectionsAtDown: outage.connectionsAtDown,
    connectionsAtUp: outage.connectionsAtUp,
  };
}

export async function clusterStats(sources: ClusterStatsSources) {
  const workers = await Promise.all(
    sources.slots.map(async (slot) => {
      const rpc = sources.rpcOf(slot);
      const own = slot.state === 'ready' && rpc ? await rpc.request<WorkerSelfReport>('workerStats', [], 1000).catch(() => null) : null;
      return {
        slot: slot.index,
        weight: slot.weight,
        state: slot.state,
        pid: slot.worker?.process.pid ?? null,
        connections: sources.countsConnections ? slot.connections : null,
        restarts: slot.restarts,
        outages: slot.outages.map(outageToJson),
        requests: own?.requests ?? null,
        inFlight: own?.inFlight ?? null,
        allowances: own?.allowances ?? null,
        trains: own?.trains ?? null,
      };
    }),
  );
  const { sweeper, issuer } = sources;
  return {
    balancer: sources.balancer,
    ledger: sources.ledgerDescription,
    topology: sources.topology,
    sweeper: { ledgerCalls: sweeper.ledgerCalls, released: sweeper.released },
    ticketIssuer: { ledgerCalls: issuer.ledgerCalls, issued: issuer.issued },
    workers,
  };
}
