// The worker thread one compaction runs on, off the primary's event loop, at
// the CPU priority the job names (JOURNAL_COMPACT_NICE, default SCHED_IDLE):
// folding a million orders takes seconds of CPU, which on a box the sale
// saturates would otherwise come out of the event loops' share.
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../../../system/thread-priority';
import { compactFiles, type CompactionJob } from './compact-files';

const job = workerData as CompactionJob;
if (job.priority !== undefined) lowerThreadPriority(job.priority);
try {
  parentPort!.postMessage({ ok: true, result: compactFiles(job) });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message });
}
