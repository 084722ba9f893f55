// The model-based property test (./ledger-model.ts) against the embedded
// ledger in-process and against a real Redis.
import { after, before, describe } from 'node:test';
import { rmSync } from 'node:fs';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { tempDir } from '../helpers/temp-dir';
import { modelTest } from './ledger-model';

describe('model-based: embedded, in-process', () => {
  // A fresh journal per run, reopened at its end: the replay must rebuild what was answered.
  modelTest('embedded', async () => {
    const dataDir = tempDir('spike-model-');
    let ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
    return {
      ledger,
      async restart() {
        await ledger.close();
        ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
        return ledger;
      },
      async close() {
        await ledger.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
});

describe('model-based: redis', () => {
  const prefix = uniquePrefix('model');
  let ledger: RedisLedger;
  before(async () => {
    ledger = new RedisLedger({ url: REDIS_URL, prefix, timeoutMs: 2000, autoPipelining: true });
    await ledger.connect();
  });
  after(async () => {
    await ledger.close();
    const admin = adminRedis();
    await dropPrefix(admin, prefix);
    await admin.quit();
  });
  // One connection for every run: each run's sales have ids of their own.
  modelTest('redis', async () => ({ ledger, close: async () => {} }));
});
