// Entry point: the same file runs as the cluster primary and as each worker.
import cluster from 'node:cluster';
import { ConfigError, loadConfig } from './config/config';
import { runPrimary } from './cluster/primary';
import { processLogger } from './logging';
import { tierUpSooner } from './system/jit-tuning';
import { runWorker } from './worker/worker';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

let config;
try {
  config = loadConfig();
} catch (error) {
  // No configuration, so no logger yet: one plain line for the person starting it.
  console.error(`spike: ${messageOf(error)}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

// Before any request: a sale's flood is over before V8's default would optimize its hot paths.
tierUpSooner(config.jitInterruptBudget);

(cluster.isPrimary ? runPrimary(config) : runWorker(config)).catch((error) => {
  processLogger().fatal({ err: error }, messageOf(error));
  process.exit(1);
});
