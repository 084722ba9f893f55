// One wrk run of a quota script (bench/lua/checkins.lua, bench/lua/posts.lua):
// the script says "quota-reached" on stderr once it has sent its quota, and
// its done() prints one JSON line of figures, which this returns.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const LUA_DIR = join(__dirname, '..', '..', '..', 'bench', 'lua');

export interface WrkScriptRun {
  readonly durationUs: number;
  /** Answers counted by the script (its probes left out). */
  readonly responses: number;
  /** Requests the script sent (its probes left out); sent - responses were in flight at the stop. */
  readonly sent: number;
  readonly statuses: Record<string, number>;
  readonly errors: { connect: number; read: number; write: number; timeout: number };
  /** [percentile, µs]. */
  readonly quantiles: [number, number][];
}

export function runWrkScript(script: string, url: string, args: string[], options: { connections: number; capMs?: number }): Promise<WrkScriptRun> {
  const capMs = options.capMs ?? 120_000;
  return new Promise((resolve, reject) => {
    // -d past the cap, so a wrk whose driver died (a test's timeout) does not outlive it by much.
    const child = spawn('wrk', ['-t1', `-c${options.connections}`, `-d${Math.ceil(capMs / 1000) + 30}s`, '--timeout', '10s', '-s', script, url, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const cap = setTimeout(() => child.kill('SIGINT'), capMs);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('quota-reached')) child.kill('SIGINT');
    });
    child.once('error', (error) => reject(new Error(`cannot run wrk: ${error.message}`)));
    child.once('exit', () => {
      clearTimeout(cap);
      const line = out.split('\n').find((l) => l.startsWith('{"durationUs"'));
      if (!line) reject(new Error(`wrk gave no results:\n${out}\n${err}`));
      else resolve(JSON.parse(line) as WrkScriptRun);
    });
  });
}
