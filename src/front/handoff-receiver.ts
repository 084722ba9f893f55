// The worker's side of BALANCER=handoff: takes each connection the primary
// hands over on its handle channel and relays its requests to this worker's own uWS listener (uWS
// cannot adopt a socket), over kept-alive unix connections in this process.
import { LeanClientSocket, type TcpHandle } from './client-socket';
import type { ConnectionGuard } from './connection-guard';
import { HANDLE_CHANNEL_FD, receiveHandles } from './handle-channel';
import { HttpRelay, type RelayContext } from './http-relay';
import { UpstreamPool, type UpstreamSource } from './upstream-pool';

export interface HandoffReceiver {
  /** Connections received so far. */
  readonly received: () => number;
  close(): void;
}

/**
 * `upgradeServer`: asked about each WebSocket upgrade before it is relayed
 * (the worker serves the live line's watchers from Node: NodeWatchServer).
 * `inProcess`: serves the other requests in this process (InProcessServer);
 * without it every request goes over the unix socket to uWS.
 */
export function receiveHandoffs(
  socketPath: string,
  host: string,
  guard: ConnectionGuard | undefined,
  upgradeServer?: RelayContext['upgradeServer'],
  inProcess?: UpstreamSource,
): HandoffReceiver {
  const pool = new UpstreamPool(socketPath);
  let closed = false;
  const ctx: RelayContext = { host, guard, pool: (failed) => (failed === undefined && !closed ? pool : undefined), upgradeServer, inProcess };
  const channel = receiveHandles(HANDLE_CHANNEL_FD, (handle) => {
    // No setNoDelay: the accepted socket inherits TCP_NODELAY from the primary's listening socket.
    // A half-closed client still gets its answers (LeanClientSocket is half-open by nature).
    new HttpRelay(new LeanClientSocket(handle as unknown as TcpHandle), ctx);
  });
  return {
    received: channel.received,
    close: () => {
      closed = true;
      channel.close();
      pool.close();
    },
  };
}
