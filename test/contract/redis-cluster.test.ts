// The ledger contract on a real three-shard Redis Cluster: every key of a sale
// carries its hash tag, so each script runs on the one shard that holds the sale.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { saleKeys } from '../../src/ledger/redis/keys';
import { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { crowd, request, statusCounts } from '../helpers/client';
import { PrivateRedisCluster } from '../../harness/private-redis-cluster';
import { ADMIN_TOKEN, startServer } from '../helpers/server';
import { ledgerContract } from './ledger-contract';

let cluster: PrivateRedisCluster;
before(async () => {
  cluster = await PrivateRedisCluster.start();
});
after(async () => cluster.stop());

ledgerContract('redis cluster, 3 shards', async () => {
  const ledger = new RedisLedger({ url: cluster.url, cluster: true, prefix: 'contract', timeoutMs: 2000, autoPipelining: false });
  await ledger.connect();
  return { ledger, close: () => ledger.close() };
});

describe('spike on a Redis Cluster', () => {
  it('keeps every key of a sale on one shard, and sales on different shards', async () => {
    const shardsOfSale = async (saleId: string) => new Set(await Promise.all(Object.values(saleKeys('spike', saleId)).map((key) => cluster.nodeOf(key))));
    const shards = new Set<number>();
    for (const saleId of ['G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8']) {
      const used = await shardsOfSale(saleId);
      assert.equal(used.size, 1, `sale ${saleId} spans shards ${[...used]}`);
      shards.add([...used][0]!);
    }
    assert.ok(shards.size > 1, 'sales are spread over the shards');
  });

  it('sells out exactly through the real server with REDIS_CLUSTER=true', async () => {
    const server = await startServer({ WORKERS: '2', LEDGER: 'redis', REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' });
    try {
      assert.match(server.output(), /ledger redis cluster redis:\/\/127\.0\.0\.1:\d+/);
      const created = await request(`${server.url}/api/sales`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { id: 'onshards', total: 200 } });
      assert.equal(created.status, 201, created.text);
      const replies = await crowd({ count: 1500, concurrency: 100, make: (i) => ({ url: `${server.url}/api/sales/onshards/purchases`, method: 'POST', body: { userId: `c${i}` } }) });
      assert.deepEqual(statusCounts(replies), { 201: 200, 409: 1300 });
      assert.equal(new Set(replies.filter((r) => r.status === 201).map((r) => r.body.userId)).size, 200);
      const audit = await request(`${server.url}/api/sales/onshards/audit`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(audit.body.sold, 200);
      assert.equal(audit.body.orders.reserved, 200);
      assert.equal(audit.body.consistent, true);
    } finally {
      await server.stop();
    }
  });
});
