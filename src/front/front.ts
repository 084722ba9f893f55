// The front: how connections enter, in each BALANCER mode. The primary makes
// the balancer (proxy or handoff; reuseport has none), and whichever process
// relays client connections guards them against idle floods.
import type { Config } from '../config/config';
import { ConnectionGuard } from './connection-guard';
import { defaultMaxConnections, raiseFdLimit, readFdLimit } from './fd-limit';
import { HandoffBalancer, type HandoffFork } from './handoff-balancer';
import { ProxyBalancer } from './proxy-balancer';
import type { PrivateListener } from './front-warm-up';
import type { Backend } from './backend';

export interface Balancer {
  /** handoff: makes the channel a worker about to be forked into `slot` will take its connections from. */
  prepareFork?(slot: Backend, rendezvousPath: string): Promise<HandoffFork>;
  listen(port: number, host: string): Promise<number>;
  /** handoff: a loopback listener whose connections take the public port's path (the front's warm-up). */
  listenPrivately?(): Promise<PrivateListener>;
  stopAccepting(): Promise<void>;
  destroyAll(): void;
}

/** Run in the primary before forking, so the workers inherit the raised limit. */
export function raiseOpenFileLimit(config: Config, log: (line: string) => void): void {
  const { limit, note } = raiseFdLimit();
  const cap = config.maxConnections ?? defaultMaxConnections(limit);
  const holder = config.balancer === 'proxy' ? 'the primary' : config.balancer === 'handoff' ? 'each worker' : 'uWS in each worker (no cap of ours)';
  log(`${note}; MAX_CONNECTIONS ${cap} client connections in ${holder}`);
}

/** The guard for the process that relays client connections (primary in proxy mode, each worker in handoff). */
export function connectionGuard(config: Config): ConnectionGuard {
  return new ConnectionGuard({ maxConnections: config.maxConnections ?? defaultMaxConnections(readFdLimit()), idleTimeoutMs: config.idleTimeoutMs });
}

/** The balancer for the mode (made before the workers are forked: handoff gives each fork its channel). */
export function createBalancer(config: Config, slots: readonly Backend[]): Balancer | undefined {
  if (config.balancer === 'proxy') return new ProxyBalancer(slots, connectionGuard(config));
  if (config.balancer === 'handoff') return new HandoffBalancer(slots);
  return undefined;
}
