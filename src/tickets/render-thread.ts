// The module each piscina render thread loads: it lowers its own CPU
// priority (Linux schedules each thread on its own), so a burst of renders
// takes the CPU the event loops leave over instead of competing with the
// purchase path, then signs and renders the tasks it is given.
import { workerData } from 'piscina';
import { lowerThreadPriority, type ThreadPriority } from '../system/thread-priority';
import { ed25519PrivateKey } from './ticket-codec';
import { renderTicket, type RenderTask, type RenderedTicket } from './ticket-render';

export interface RenderThreadData {
  readonly privateKeyPem: string;
  readonly nice: ThreadPriority;
}

const data = workerData as RenderThreadData;
lowerThreadPriority(data.nice);
const privateKey = ed25519PrivateKey(data.privateKeyPem);

export default function render(task: RenderTask): Promise<RenderedTicket> {
  return renderTicket(task, privateKey);
}
