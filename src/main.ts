// Entry point: the same file runs as the cluster primary and as each worker.
import cluster from 'node:cluster';
import { ConfigError, loadConfig } from './config/config';
import { runPrimary } from './cluster/primary';
import { runWorker } from './worker/worker';

function fail(error: unknown, exitCode: number): never {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`spike: ${message}`);
  process.exit(exitCode);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  fail(error, error instanceof ConfigError ? 2 : 1);
}

(cluster.isPrimary ? runPrimary(config) : runWorker(config)).catch((error) => fail(error, 1));
