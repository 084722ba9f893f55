// The worker thread one compaction runs on, off the primary's event loop, at
// the CPU priority the job names (JOURNAL_COMPACT_NICE, default SCHED_IDLE):
// folding a million orders takes seconds of CPU, which on a box the sale
// saturates would otherwise come out of the event loops' share. Its answer
// says whether the priority could be lowered, so the ledger can warn.
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../../../system/thread-priority';
import { compactFiles, type CompactionJob, type CompactionResult } from './compact-files';

/** What the thread answers: the compaction's result or its failure, and whether it lowered its priority (null: none was asked). */
export type CompactionAnswer = ({ ok: true; result: CompactionResult } | { ok: false; message: string }) & { lowered: boolean | null };

const job = workerData as CompactionJob;
const lowered = job.priority === undefined ? null : lowerThreadPriority(job.priority);
let answer: CompactionAnswer;
try {
  answer = { ok: true, result: compactFiles(job), lowered };
} catch (error) {
  answer = { ok: false, message: (error as Error).message, lowered };
}
parentPort!.postMessage(answer);
