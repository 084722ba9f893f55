// Starts the real built server (node dist/src/main.js) for one bench cell,
// waits for its "listening on" line, and stops it with SIGTERM like a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVER_MAIN = join(__dirname, '..', 'src', 'main.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  output(): string;
  /** SIGTERM, then SIGKILL after timeoutMs; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export async function startServerProcess(env: Record<string, string>, startTimeoutMs = 30_000, main = SERVER_MAIN, execArgv: string[] = []): Promise<ServerProcess> {
  // A server the caller gives no DATA_DIR gets a temporary one, removed once it exits. The
  // default, ./data, is where `npm start` keeps an operator's journal and ticket-signing key:
  // a bench run must neither sign with that key nor leave a key of its own there.
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'spike-bench-data-')) : undefined;
  // Workers are forked with the primary's execArgv, so --cpu-prof reaches them too.
  const child = spawn(process.execPath, [...execArgv, main], { env: { ...process.env, ...env, ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (ownDataDir) child.once('exit', () => rmSync(ownDataDir, { recursive: true, force: true }));
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server printed no "listening on" line within ${startTimeoutMs} ms:\n${tail(out)}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}, signal ${signal}) before listening:\n${tail(out)}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** GET a JSON body over loopback with a deadline. */
export async function getJson<T>(url: string, headers: Record<string, string> = {}, timeoutMs = 3000): Promise<T> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
