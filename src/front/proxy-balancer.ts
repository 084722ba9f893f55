// BALANCER=proxy: the primary accepts every TCP connection, picks a worker by
// smooth weighted round-robin, and relays its requests to that worker's
// private uWS listener over kept-alive unix connections. Every byte passes
// through the primary; BALANCER=handoff moves that work into the workers.
import net from 'node:net';
import type { ConnectionGuard } from './connection-guard';
import { netClientSocket } from './client-socket';
import { HttpRelay, type RelayContext } from './http-relay';
import { SmoothWeightedRoundRobin } from './smooth-wrr';
import type { Backend } from './backend';
import { UpstreamPool } from './upstream-pool';

export class ProxyBalancer {
  private readonly wrr: SmoothWeightedRoundRobin<Backend>;
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private readonly pools: Map<Backend, UpstreamPool>;
  private host = 'localhost';

  constructor(private readonly slots: readonly Backend[], private readonly guard: ConnectionGuard | undefined) {
    this.wrr = new SmoothWeightedRoundRobin(slots);
    this.pools = new Map(slots.map((slot) => [slot, new UpstreamPool(slot.socketPath)]));
    // allowHalfOpen: a client that shuts down its sending side still gets its answers.
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.route(client));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', reject);
        const bound = (this.server.address() as net.AddressInfo).port;
        this.host = `${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${bound}`;
        resolve(bound);
      });
    });
  }

  /** Stops accepting; connections already open run on until their ends close them. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
    for (const pool of this.pools.values()) pool.close();
  }

  private route(client: net.Socket): void {
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    let tried: Set<Backend> | undefined;
    let current: Backend | undefined;
    const ctx: RelayContext = {
      host: this.host,
      guard: this.guard,
      pool: (failed) => {
        if (failed !== undefined && current !== undefined) (tried ??= new Set()).add(current);
        current = this.wrr.pickExcept(tried);
        if (current === undefined) return undefined;
        current.connections++;
        return this.pools.get(current);
      },
    };
    new HttpRelay(netClientSocket(client), ctx);
  }

}
