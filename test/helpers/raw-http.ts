// Raw HTTP over a real TCP socket, for what node:http will not send: several
// requests in one write, a half-close after the request, HTTP/1.0 without Host.
import net from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Splits a byte stream into the answers it holds (Content-Length framed, as uWS writes them). */
export function parseAnswers(bytes: Buffer): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const lines = bytes.toString('latin1', at, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = status >= 100 && status < 200 ? 0 : Number(headers['content-length'] ?? 0);
    answers.push({ status, headers, body: bytes.toString('utf8', end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return answers.filter((answer) => answer.status >= 200);
}

export interface Exchange {
  readonly answers: RawAnswer[];
  /** How the server ended the connection. */
  readonly ended: 'end' | 'reset' | 'timeout';
}

/**
 * Sends `payload` in one write, optionally shuts down the sending side, and
 * collects everything until the server closes, or `expect` answers arrived
 * (then closes itself), or the deadline passes.
 */
export function exchange(port: number, payload: string, options: { halfClose?: boolean; expect?: number; timeoutMs?: number } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (ended: Exchange['ended']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers: parseAnswers(Buffer.concat(chunks)), ended });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 5000);
    socket.on('connect', () => {
      socket.write(payload);
      if (options.halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.expect !== undefined && parseAnswers(Buffer.concat(chunks)).length >= options.expect) finish('end');
    });
    socket.on('end', () => finish('end'));
    socket.on('error', () => finish('reset'));
  });
}
