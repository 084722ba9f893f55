import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ledgerContract } from './ledger-contract';

ledgerContract('redis', async () => {
  const prefix = uniquePrefix('contract');
  const ledger = new RedisLedger({ url: REDIS_URL, prefix, timeoutMs: 2000, autoPipelining: true });
  await ledger.connect();
  return {
    ledger,
    async close() {
      await ledger.close();
      const admin = adminRedis();
      await dropPrefix(admin, prefix);
      await admin.quit();
    },
  };
});
