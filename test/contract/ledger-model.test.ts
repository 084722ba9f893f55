// The model-based property test (test/helpers/ledger-model.ts) against the embedded
// ledger in-process and against a real Redis.
import { after, before, describe } from 'node:test';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { modelTest, sharedEmbeddedTarget } from '../helpers/ledger-model';

describe('model-based: embedded, in-process', () => {
  modelTest('embedded', sharedEmbeddedTarget('batch'));
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
