// Connections as raw libuv handles: taken from a listening net.Server before
// it wraps each in a net.Socket, as Node's cluster round-robin does. The
// primary passes them on to workers (handoff-balancer.ts); a worker's warm-up
// relays them as it does the ones handed over (src/worker/warm-up.ts).
import type net from 'node:net';
import type { RawHandle } from './handle-channel';

/** The listening socket's own handle, under a net.Server. */
export interface ListenHandle {
  onconnection: (error: number, handle: RawHandle | undefined) => void;
  setNoDelay(enable: boolean): void;
}

/** From now on, every connection the (listening) server accepts goes to `onHandle`, never made a net.Socket. Answers the listening handle. */
export function takeRawConnections(server: net.Server, onHandle: (handle: RawHandle) => void): ListenHandle {
  const listening = (server as unknown as { _handle: ListenHandle })._handle;
  listening.onconnection = (error, handle) => {
    if (error === 0 && handle !== undefined) onHandle(handle);
  };
  return listening;
}

/** A listening server whose connections come as raw handles: its port, its listening handle, and how to stop it. */
export interface RawListener {
  readonly port: number;
  readonly handle: ListenHandle;
  close(): Promise<void>;
}

/** Listens with `options` and gives every connection accepted from then on to `onHandle` (takeRawConnections). */
export function listenRaw(server: net.Server, options: net.ListenOptions, onHandle: (handle: RawHandle) => void): Promise<RawListener> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      const handle = takeRawConnections(server, onHandle);
      resolve({ port: (server.address() as net.AddressInfo).port, handle, close: () => new Promise((closed) => server.close(() => closed())) });
    });
  });
}
