// Keeps silent clients from using up the file descriptors of the process that
// holds them: closes a connection silent for IDLE_TIMEOUT_MS, and at
// MAX_CONNECTIONS closes the longest-silent one so a fresh client is served.

export interface GuardedConnection {
  /** Waiting for the server's answer: not silent, never reaped. */
  readonly busy: boolean;
  close(): void;
}

export interface ConnectionGuardOptions {
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
}

export class ConnectionGuard {
  /** Ordered by last activity, oldest first: a Map keeps insertion order, and touch() re-inserts. */
  private readonly lastActive = new Map<GuardedConnection, number>();
  private readonly sweeper: NodeJS.Timeout;
  /** Connections closed for silence and refused at the cap, for logs and tests. */
  reaped = 0;
  evicted = 0;
  refused = 0;

  constructor(private readonly options: ConnectionGuardOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, options.idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.lastActive.size;
  }

  /** Takes a new connection in; false when at the cap with no silent one to close, and the caller should refuse it. */
  admit(connection: GuardedConnection): boolean {
    if (this.lastActive.size >= this.options.maxConnections) {
      let victim: GuardedConnection | undefined;
      for (const candidate of this.lastActive.keys()) {
        if (!candidate.busy) {
          victim = candidate;
          break;
        }
      }
      if (victim === undefined) {
        this.refused++;
        return false;
      }
      this.evicted++;
      this.lastActive.delete(victim);
      victim.close();
    }
    this.lastActive.set(connection, Date.now());
    return true;
  }

  touch(connection: GuardedConnection): void {
    if (this.lastActive.delete(connection)) this.lastActive.set(connection, Date.now());
  }

  remove(connection: GuardedConnection): void {
    this.lastActive.delete(connection);
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    const silent: GuardedConnection[] = [];
    for (const [connection, at] of this.lastActive) {
      if (at > cutoff) break;
      if (!connection.busy) silent.push(connection);
    }
    for (const connection of silent) {
      this.lastActive.delete(connection);
      this.reaped++;
      connection.close();
    }
  }
}
