// The bench's `cluster` cell on a small sale: it starts its own cluster and
// three boxes, sells out exactly without and with WAIT, and counts script
// calls per shard, most of them on the sale's master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderClusterCell, runClusterCell } from '../../bench/cluster-cell';
import { AutocannonGenerator } from '../../bench/load/autocannon-generator';
import { loadBenchSettings } from '../../bench/settings';

test('bench cluster cell: 3 boxes sell 200 tickets exactly, without and with WAIT 1', async () => {
  const settings = loadBenchSettings({ PATH: process.env.PATH, BENCH_USERS: '1500', BENCH_TICKETS: '200', BENCH_GENERATOR: 'autocannon', BENCH_CONNECTIONS: '30', BENCH_MAX_SECONDS: '30', BENCH_MICRO: '0' });
  const lines: string[] = [];
  const result = await runClusterCell(settings, new AutocannonGenerator(), (line) => lines.push(line));
  const report = renderClusterCell(result, []);
  console.log(report.split('\n').map((line) => `# ${line}`).join('\n'));
  assert.equal(result.variants.length, 2, lines.join('\n'));
  for (const variant of result.variants) {
    assert.equal(variant.status, 'ok', `${variant.name}: ${variant.error}\n${lines.join('\n')}`);
    assert.equal(variant.audit?.ok, true, JSON.stringify(variant.audit));
    const calls = variant.scriptCallsPerShard!;
    // Reservations go in batches (REDIS_RESERVE_BATCH), so fewer calls than tickets; all of them on the sale's master.
    const onSale = calls[String(variant.saleShard)]!;
    assert.ok(onSale > 0, `the sale's master ran no script for 200 tickets`);
    for (const [port, n] of Object.entries(calls)) if (Number(port) !== variant.saleShard) assert.ok(n < onSale, `master ${port} ran ${n} scripts, the sale's master ${onSale}`);
  }
});
