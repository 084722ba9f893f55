// Starts the real built server (primary + workers) as a child process, waits
// for its "listening on" line, and stops it. Tests talk to it over real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const MAIN = join(__dirname, '..', '..', 'src', 'main.js');
export const ADMIN_TOKEN = 'test-admin-token';

export interface RunningServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything the server printed so far, stdout and stderr. */
  output(): string;
  /** Resolves when a line matching the pattern has been printed. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL if it has not exited in time; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `wrap` runs the server under another command, e.g. ['unshare', '--pid', '--fork'] for a PID namespace of its own, or ['prlimit', '--nofile=512:4096']. */
export async function startServer(env: Record<string, string>, startTimeoutMs = 20_000, wrap: readonly string[] = []): Promise<RunningServer> {
  const [command, ...args] = [...wrap, process.execPath, MAIN];
  const child = spawn(command!, args, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let closed = false;
  const listeners = new Set<() => void>();
  const onChunk = (chunk: Buffer) => {
    out += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onChunk);
  child.stderr!.on('data', onChunk);
  // 'close', not 'exit': it comes after the output pipes are drained, so output() is complete.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      closed = true;
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );

  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(out);
        if (match) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(match[0]);
        } else if (closed) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`server exited before printing ${pattern}; output:\n${out}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${out}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });

  let line: string;
  try {
    line = await waitForOutput(/listening on http:\/\/[^:]+:(\d+)/, startTimeoutMs);
  } catch (error) {
    // A server that never started must not outlive the test as an orphan restarting its workers.
    child.kill('SIGKILL');
    throw error;
  }
  const port = Number(/:(\d+)$/.exec(line)![1]);

  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    waitForOutput,
    exited,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls until check() returns a truthy value, or fails after the deadline. Never a fixed sleep. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
