// BALANCER=proxy: the primary accepts every TCP connection, picks a worker by
// smooth weighted round-robin, and pipes the bytes to that worker's private
// unix socket. uWS cannot adopt a handed-over socket, so a byte pipe is the
// way for the primary to decide where each connection goes.
import net from 'node:net';
import { spikeError } from '../errors/errors';
import { classifyHead, rewriteHttp10 } from './http10-upgrade';
import { SmoothWeightedRoundRobin } from './smooth-wrr';
import type { WorkerSlot } from './supervisor';

function noWorkerResponse(): string {
  const body = JSON.stringify(spikeError('NO_WORKER').toJSON());
  // Like every 503, it says when to come back: a worker is restarted within about a second.
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

export class ProxyBalancer {
  private readonly wrr: SmoothWeightedRoundRobin<WorkerSlot>;
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();

  constructor(private readonly slots: readonly WorkerSlot[]) {
    this.wrr = new SmoothWeightedRoundRobin(slots);
    this.server = net.createServer({ noDelay: true, pauseOnConnect: false }, (client) => this.route(client));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops accepting; connections already piped run on until their ends close them. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
  }

  private route(client: net.Socket): void {
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    client.on('error', () => client.destroy());

    let head: Buffer | null = null;
    let headReady = false;
    let upstream: net.Socket | null = null;

    const splice = () => {
      if (!upstream || !headReady || client.destroyed) return;
      client.off('data', onData);
      if (head && head.length > 0) upstream.write(head);
      head = null;
      client.pipe(upstream);
      upstream.pipe(client);
    };

    // Hold the first bytes until we know whether the first request is HTTP/1.0.
    const onData = (chunk: Buffer) => {
      head = head ? Buffer.concat([head, chunk]) : chunk;
      const kind = classifyHead(head);
      if (kind === 'incomplete') return;
      if (kind === 'http10') head = rewriteHttp10(head);
      headReady = true;
      client.pause();
      splice();
    };
    client.on('data', onData);

    const tried = new Set<WorkerSlot>();
    const connect = () => {
      const slot = this.pickUntried(tried);
      if (!slot) {
        client.end(noWorkerResponse());
        return;
      }
      tried.add(slot);
      const socket = net.connect(slot.socketPath);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        if (client.destroyed) {
          socket.destroy();
          return;
        }
        slot.connections++;
        upstream = socket;
        socket.on('error', () => client.destroy());
        // A clean close has already ended the client through the pipe; only
        // destroy on error, since destroy would drop bytes not yet flushed.
        socket.once('close', (hadError) => (hadError ? client.destroy() : client.end()));
        client.once('close', () => socket.destroy());
        splice();
      });
      // The worker vanished between the pick and the connect: try the next one.
      socket.once('error', () => {
        if (upstream !== socket) connect();
      });
    };
    connect();
  }

  private pickUntried(tried: Set<WorkerSlot>): WorkerSlot | undefined {
    for (let attempt = 0; attempt <= this.slots.length; attempt++) {
      const slot = this.wrr.pick();
      if (!slot) return undefined;
      if (!tried.has(slot)) return slot;
    }
    return undefined;
  }
}
