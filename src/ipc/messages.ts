// Every message that passes between spike's processes, in one union. Each
// carries `spike: <type>`, so one guard tells ours from anything else on the
// channel (Node's own cluster messages, say).
// The types module, not the ledger's entry: the entry imports the RPC, which imports these messages.
import type { QueueStatus } from '../ledger/types';

/** Worker -> primary: serving. */
export interface ReadyMessage {
  readonly spike: 'ready';
}

/** Primary -> worker: drain and exit. */
export interface ShutdownMessage {
  readonly spike: 'shutdown';
}

/** Primary -> worker: are you alive? Answered by a PongMessage with the same seq. */
export interface PingMessage {
  readonly spike: 'ping';
  readonly seq: number;
}

/** Worker -> primary: the answer to a ping, sent from the worker's event loop. */
export interface PongMessage {
  readonly spike: 'pong';
  readonly seq: number;
}

/** Primary -> workers: tickets of the sale went back on sale (embedded ledger; Redis uses pub/sub). */
export interface StockReturnedMessage {
  readonly spike: 'stock-returned';
  readonly saleId: string;
}

/** Primary -> workers: a train order's seat went back on sale on segments from..to-1 (embedded ledger; Redis uses pub/sub). */
export interface SeatsReleasedMessage {
  readonly spike: 'seats-released';
  readonly trainId: string;
  readonly from: number;
  readonly to: number;
}

/** Primary -> workers: the live boxes' total weight changed (a box joined, left or stopped heartbeating). */
export interface TopologyMessage {
  readonly spike: 'topology';
  readonly boxes: number;
  readonly totalWeight: number;
}

/** Primary -> workers: the queue tick's figures of each queue sale's line. */
export interface QueueStatusMessage {
  readonly spike: 'queue-status';
  readonly statuses: readonly QueueStatus[];
}

/** Primary -> workers: the sale was changed, closed or deleted; re-read it now (embedded ledger; Redis uses pub/sub). */
export interface SaleChangedMessage {
  readonly spike: 'sale-changed';
  readonly saleId: string;
}

/** Primary -> workers: a worker went down or came up; push the dashboard's figures now. */
export interface DashboardNudgeMessage {
  readonly spike: 'dashboard-nudge';
}

/**
 * Worker -> primary -> the other workers: tickets the ledger told this worker
 * were used, [ticket, at, gate] each, so a re-scan at any worker is answered
 * without verifying the ticket or asking the ledger again.
 */
export interface CheckinsSeenMessage {
  readonly spike: 'checkins-seen';
  readonly uses: ReadonlyArray<readonly [ticket: string, at: number, gate: string]>;
}

export interface RpcRequest {
  readonly spike: 'rpc-request';
  readonly id: number;
  readonly method: string;
  /** The method's arguments, in order. */
  readonly args: readonly unknown[];
}

export interface RpcResponse {
  readonly spike: 'rpc-response';
  readonly id: number;
  readonly result?: unknown;
  readonly error?: { readonly message: string; readonly code?: string };
}

/** Everything one side sent within one turn of its event loop, as one IPC message. */
export interface RpcBatch {
  readonly spike: 'rpc-batch';
  readonly items: ReadonlyArray<RpcRequest | RpcResponse>;
}

export type SpikeMessage = ReadyMessage | ShutdownMessage | PingMessage | PongMessage | StockReturnedMessage | SeatsReleasedMessage | SaleChangedMessage | DashboardNudgeMessage | QueueStatusMessage | TopologyMessage | CheckinsSeenMessage | RpcRequest | RpcResponse | RpcBatch;

const TYPES: ReadonlySet<string> = new Set<SpikeMessage['spike']>(['ready', 'shutdown', 'ping', 'pong', 'stock-returned', 'seats-released', 'sale-changed', 'dashboard-nudge', 'queue-status', 'topology', 'checkins-seen', 'rpc-request', 'rpc-response', 'rpc-batch']);

export function isSpikeMessage(message: unknown): message is SpikeMessage {
  return typeof message === 'object' && message !== null && TYPES.has((message as { spike?: unknown }).spike as string);
}
