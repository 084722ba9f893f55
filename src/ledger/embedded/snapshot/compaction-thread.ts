// The worker thread one compaction runs on, off the primary's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { compactFiles, type CompactionJob } from './compact-files';

try {
  parentPort!.postMessage({ ok: true, result: compactFiles(workerData as CompactionJob) });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message });
}
