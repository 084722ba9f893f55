// Reads the .cpuprofile files `node --cpu-prof` wrote for the server's
// processes and names where the time went: self time per function, summed over
// the processes of one cell. Used with BENCH_CPU_PROF_DIR to explain a missed target.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface HotFunction {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

export function hotFunctions(dir: string, top = 12): { files: number; totalMs: number; functions: HotFunction[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const self = new Map<string, { name: string; where: string; ms: number }>();
  let totalMs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const node = byId.get(samples[i]!);
      if (!node) continue;
      const ms = (deltas[i] ?? 0) / 1000;
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || '(anonymous)';
      if (name === '(idle)' || name === '(program)') {
        // (program) is native work outside JS (uWS, libuv); keep it, it is real CPU.
        if (name === '(idle)') continue;
      }
      const where = url ? `${relative(process.cwd(), url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
      const key = `${name}@${where}`;
      const entry = self.get(key) ?? { name, where, ms: 0 };
      entry.ms += ms;
      self.set(key, entry);
      totalMs += ms;
    }
  }
  const functions = [...self.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((f) => ({ name: f.name, where: f.where, selfMs: f.ms, share: totalMs ? f.ms / totalMs : 0 }));
  return { files: files.length, totalMs, functions };
}
