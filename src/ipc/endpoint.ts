// One end of an IPC channel, the same shape on both sides: a forked worker
// (seen from the primary), or the primary (seen from inside a worker).
import type { Worker } from 'node:cluster';
import type { SpikeMessage } from './messages';

export interface IpcEndpoint {
  send(message: SpikeMessage, callback: (error: Error | null) => void): void;
  onMessage(listener: (message: unknown) => void): void;
  /** False once the channel is closed (the other process died or exited). */
  isConnected(): boolean;
}

/** A process forked by this one: a cluster worker, or a child_process.fork() child. */
export interface ForkedProcess {
  send(message: SpikeMessage, callback: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export function childEndpoint(child: ForkedProcess, isConnected: () => boolean): IpcEndpoint {
  return {
    send: (message, callback) => void child.send(message, callback),
    onMessage: (listener) => void child.on('message', listener),
    isConnected,
  };
}

export function workerEndpoint(worker: Worker): IpcEndpoint {
  return childEndpoint(worker, () => worker.isConnected());
}

/** The channel to the process that forked this one (the primary, for a worker). */
export function parentEndpoint(proc: NodeJS.Process = process): IpcEndpoint {
  const send = proc.send?.bind(proc);
  if (!send) throw new Error('this process has no IPC channel: start spike with `npm start`, not a worker on its own');
  return {
    send: (message, callback) => void send(message, undefined, undefined, callback),
    onMessage: (listener) => void proc.on('message', listener),
    isConnected: () => proc.connected,
  };
}
