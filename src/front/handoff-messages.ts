// The one message BALANCER=handoff sends between processes: the primary hands
// a worker an accepted TCP connection (its handle rides along on the IPC channel).

export interface HandoffConnectionMessage {
  readonly spike: 'connection';
}

export const handoffConnectionMessage: HandoffConnectionMessage = Object.freeze({ spike: 'connection' });

export function isHandoffConnection(message: unknown): message is HandoffConnectionMessage {
  return (message as { spike?: unknown } | null)?.spike === 'connection';
}
