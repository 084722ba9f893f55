// The module each piscina render thread loads: it lowers its own CPU
// priority (Linux keeps a nice value per thread), so a burst of renders
// takes the CPU the event loops leave over instead of competing with the
// purchase path, then signs and renders the tasks it is given.
import { setPriority } from 'node:os';
import { workerData } from 'piscina';
import { ed25519PrivateKey } from './ticket-codec';
import { renderTicket, type RenderTask, type RenderedTicket } from './ticket-render';

export interface RenderThreadData {
  readonly privateKeyPem: string;
  readonly nice: number;
}

const data = workerData as RenderThreadData;
if (data.nice > 0) {
  try {
    // Process id 0 is the calling thread on Linux.
    setPriority(0, data.nice);
  } catch {
    // Not permitted here (some containers): render at normal priority.
  }
}
const privateKey = ed25519PrivateKey(data.privateKeyPem);

export default function render(task: RenderTask): Promise<RenderedTicket> {
  return renderTicket(task, privateKey);
}
