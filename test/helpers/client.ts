// Real HTTP clients for tests: single requests, and a crowd of concurrent
// buyers with an optional fresh connection per request.
import http from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any;
  readonly text: string;
  /** Set instead of a status (which is 0) when the request failed at the socket level. */
  readonly error?: string;
  /** Milliseconds from sending to the answer or the failure. */
  readonly ms?: number;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and buffers as they are. */
  readonly body?: unknown;
  readonly agent?: http.Agent | false;
  readonly timeoutMs?: number;
}

export function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON; the text is the body
        }
        resolve({ status: res.statusCode!, headers: res.headers, body, text });
      });
      res.on('error', reject);
    });
    // A reset on a kept-alive socket the server closed as it was reused is the
    // usual keep-alive race, not a lost request; say which it was.
    req.on('error', (error: NodeJS.ErrnoException & { reusedSocket?: boolean }) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 15_000} ms`)));
    if (payload !== undefined) req.end(payload);
    else req.end();
  });
}

export interface CrowdOptions {
  readonly count: number;
  readonly concurrency: number;
  /** Builds the i-th request. */
  readonly make: (i: number) => { url: string } & RequestOptions;
  /** A new TCP connection per request, so the balancer's per-connection split is exercised. */
  readonly freshConnections?: boolean;
  /** Record socket errors as status 0 instead of failing the whole crowd (for failure-injection tests). */
  readonly tolerateErrors?: boolean;
  /** Called after each reply, e.g. to inject a failure midway. */
  readonly onReply?: (reply: Reply, done: number) => void;
}

/**
 * Kept-alive sockets idle this long are closed by the client, well before
 * uWS's own 10 s idle close: reusing a socket the server is closing at that
 * very moment resets the request (the usual keep-alive race), which a loaded
 * machine makes likely once sockets sit idle near the server's limit.
 */
const IDLE_SOCKET_MS = 4000;

/** Fires count requests with at most `concurrency` in flight at once; returns every reply in order. */
export async function crowd(options: CrowdOptions): Promise<Reply[]> {
  const agent = options.freshConnections ? undefined : new http.Agent({ keepAlive: true, maxSockets: options.concurrency, timeout: IDLE_SOCKET_MS });
  const replies: Reply[] = new Array(options.count);
  let next = 0;
  let finished = 0;
  const lanes = Array.from({ length: options.concurrency }, async () => {
    while (next < options.count) {
      const i = next++;
      const { url, ...rest } = options.make(i);
      const started = Date.now();
      try {
        replies[i] = { ...(await request(url, { ...rest, agent: agent ?? false })), ms: Date.now() - started };
      } catch (error) {
        if (!options.tolerateErrors) throw error;
        const err = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
        replies[i] = { status: 0, headers: {}, body: null, text: '', error: `${err.code ?? err.message}${err.reusedSocket ? ' on a reused socket' : ''}`, ms: Date.now() - started };
      }
      finished++;
      options.onReply?.(replies[i]!, finished);
    }
  });
  await Promise.all(lanes);
  agent?.destroy();
  return replies;
}

export function statusCounts(replies: Reply[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const reply of replies) counts[reply.status] = (counts[reply.status] ?? 0) + 1;
  return counts;
}

/**
 * /healthz answered 200 on `times` fresh connections in a row. Each worker
 * reconnects to the ledger on its own, so one 200 speaks for the one worker
 * that answered it; the default balancer hands fresh connections round the
 * workers in exact turn, so a few in a row have asked every worker.
 */
export async function healthyInEveryWorker(url: string, times = 4): Promise<boolean> {
  for (let i = 0; i < times; i++) if ((await request(`${url}/healthz`)).status !== 200) return false;
  return true;
}
