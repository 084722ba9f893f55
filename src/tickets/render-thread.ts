// The module each piscina render thread loads: it lowers its own CPU
// priority (Linux schedules each thread on its own), so a burst of renders
// takes the CPU the event loops leave over instead of competing with the
// purchase path, then signs and renders the tasks it is given.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'piscina';
import { ed25519PrivateKey } from './ticket-codec';
import { renderTicket, type RenderTask, type RenderedTicket } from './ticket-render';

export interface RenderThreadData {
  readonly privateKeyPem: string;
  readonly nice: 'idle' | number;
}

/**
 * SCHED_IDLE runs a thread only when no normal thread wants the CPU. Nice 19
 * is not enough on a 2-core box: a nice-19 render loop beside a purchase
 * flood still cost it 10-25% of its throughput (measured), SCHED_IDLE about
 * half of that. Node has no sched_setscheduler, so util-linux's chrt sets it
 * on this thread's id (/proc/thread-self names it).
 */
function lowerPriority(nice: 'idle' | number): void {
  try {
    // Process id 0 is the calling thread on Linux. Also the fallback if chrt is missing.
    if (nice !== 0) setPriority(0, nice === 'idle' ? 19 : nice);
    if (nice === 'idle') {
      const threadId = readlinkSync('/proc/thread-self').split('/').pop()!;
      execFileSync('chrt', ['--idle', '--pid', '0', threadId], { stdio: 'ignore', timeout: 5000 });
    }
  } catch {
    // Not permitted here (some containers), or no chrt: render at what was set.
  }
}

const data = workerData as RenderThreadData;
lowerPriority(data.nice);
const privateKey = ed25519PrivateKey(data.privateKeyPem);

export default function render(task: RenderTask): Promise<RenderedTicket> {
  return renderTicket(task, privateKey);
}
