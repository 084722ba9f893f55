// The module each piscina render thread loads: it lowers its own CPU
// priority (Linux schedules each thread on its own), so a burst of renders
// takes the CPU the event loops leave over instead of competing with the
// purchase path, says on the renderer's channel whether it could, then signs
// and renders the tasks it is given.
import { BroadcastChannel } from 'node:worker_threads';
import { workerData } from 'piscina';
import { lowerThreadPriority, type ThreadPriority } from '../system/thread-priority';
import { ed25519PrivateKey } from './ticket-codec';
import { renderTicket, type RenderTask, type RenderedTicket } from './ticket-render';

export interface RenderThreadData {
  readonly privateKeyPem: string;
  readonly nice: ThreadPriority;
  /** The BroadcastChannel the renderer hears each thread's priority on (see PriorityReport). */
  readonly priorityChannel: string;
}

/** What each render thread tells its renderer once, as it starts. */
export interface PriorityReport {
  readonly lowered: boolean;
}

const data = workerData as RenderThreadData;
const report: PriorityReport = { lowered: lowerThreadPriority(data.nice) };
const channel = new BroadcastChannel(data.priorityChannel);
channel.postMessage(report);
channel.close();
const privateKey = ed25519PrivateKey(data.privateKeyPem);

export default function render(task: RenderTask): Promise<RenderedTicket> {
  return renderTicket(task, privateKey);
}
