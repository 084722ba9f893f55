// A real nginx (Debian's package) in front of two boxes on one Redis Cluster,
// running a copy of config/nginx/spike.conf with its addresses rewritten to
// free ports and its paths to a temp prefix, as the current user. The sale
// runs through it from a crowd of buyers and from `ab` (HTTP/1.0).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { RedisLedger } from '../../src/ledger/redis/redis-ledger';
import { admin, assertSoldExactly, clusterLedger, createSale, startBox, stopBoxes, type Box } from '../helpers/boxes';
import { crowd, request, statusCounts } from '../helpers/client';
import { PrivateRedisCluster } from '../../harness/private-redis-cluster';
import { eventually } from '../helpers/server';
import { freePort } from '../../src/system/free-port';

const run = promisify(execFile);
const PREFIX = 'front';
const SHIPPED = join(__dirname, '..', '..', '..', 'config', 'nginx', 'spike.conf');
let cluster: PrivateRedisCluster;
let boxes: Box[] = [];
let ledger: RedisLedger;
let nginx: ChildProcess | undefined;
let front: string;
let prefix: string | undefined;


/** The shipped config with the boxes' ports, a free listen port, and every path nginx writes under `prefix`. */
export function generatedConfig(shipped: string, listenPort: number, upstreams: Array<{ port: number; weight: number }>, prefix: string): string {
  const servers = upstreams.map((u) => `        server 127.0.0.1:${u.port} weight=${u.weight} max_fails=1 fail_timeout=2s;`).join('\n');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${prefix}/${kind};`).join('\n');
  const config = shipped
    .replace(/^worker_processes .*$/m, 'worker_processes 1;')
    .replace(/^worker_rlimit_nofile .*$/m, '')
    .replace(/worker_connections \d+;/, 'worker_connections 1024;')
    .replace(/(\n\s*server 10\.0\.0\.\d+:\d+[^\n]*)+/, `\n${servers}`)
    .replace(/listen 80 [^;]*;/, `listen 127.0.0.1:${listenPort};`)
    .replace(/http \{\n/, `http {\n${temp}\n`);
  assert.ok(config.includes(`listen 127.0.0.1:${listenPort};`) && config.includes(servers), 'the shipped config still has the lines this test rewrites');
  return `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log warn;\n${config}`;
}

before(async () => {
  cluster = await PrivateRedisCluster.start({ masters: 3 });
  ledger = await clusterLedger(cluster, PREFIX);
  // Box 0 weighs 2 and box 1 weighs 1, in nginx's upstream and in their own WORKER_WEIGHTS.
  boxes.push(await startBox(cluster, PREFIX, { WORKERS: '1', WORKER_WEIGHTS: '2', DEFAULT_SALE_ID: 'abfront', DEFAULT_SALE_TOTAL: '500' }));
  boxes.push(await startBox(cluster, PREFIX, { WORKERS: '1', WORKER_WEIGHTS: '1', DEFAULT_SALE_ID: 'abfront', DEFAULT_SALE_TOTAL: '500' }));

  prefix = mkdtempSync(join(tmpdir(), 'spike-nginx-'));
  for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, kind));
  const dir = prefix;
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, generatedConfig(readFileSync(SHIPPED, 'utf8'), port, [{ port: boxes[0]!.server.port, weight: 2 }, { port: boxes[1]!.server.port, weight: 1 }], dir));
  await run('nginx', ['-t', '-q', '-e', join(dir, 'error.log'), '-p', dir, '-c', conf]);
  nginx = spawn('nginx', ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  front = `http://127.0.0.1:${port}`;
  await eventually(async () => (await request(`${front}/healthz`)).status === 200, 10_000, 'nginx answering');
});

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx!.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await ledger?.close();
  await stopBoxes(boxes);
  await cluster?.stop();
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

async function requestsPerBox(): Promise<number[]> {
  const figures = await Promise.all(boxes.map((box) => request(`${box.url}/api/cluster`, { headers: admin })));
  return figures.map((f) => f.body.workers.reduce((sum: number, w: any) => sum + (w.requests ?? 0), 0));
}

describe('nginx in front of two boxes', () => {
  it('sells a sale out exactly through nginx, split by the upstream weights', async () => {
    const saleId = 'viafront';
    const total = 1000;
    await createSale(front, { id: saleId, total, holdSeconds: 0 });
    const before = await requestsPerBox();
    const replies = await crowd({ count: 2000, concurrency: 50, make: (i) => ({ url: `${front}/api/sales/${saleId}/purchases`, method: 'POST', headers: { 'idempotency-key': `nf-${i}` }, body: { userId: `nf${i}` } }) });
    assert.deepEqual(statusCounts(replies), { 201: total, 409: 1000 });
    await assertSoldExactly(ledger, PREFIX, saleId, total);
    const after = await requestsPerBox();
    const served = after.map((n, i) => n - before[i]!);
    console.log(`# through nginx: box weights 2:1 served ${served.join(' : ')} requests`);
    assert.ok(served[0]! > 1.5 * served[1]! && served[0]! < 2.5 * served[1]!, `split ${served.join(':')} is not about 2:1`);
  });

  it('runs the seed article\'s ab test (HTTP/1.0) through nginx: the default sale sells out exactly', async () => {
    const { stdout } = await run('ab', ['-q', '-n', '2000', '-c', '50', `${front}/buy/ticket`], { maxBuffer: 1 << 20 });
    const complete = Number(/Complete requests:\s+(\d+)/.exec(stdout)![1]);
    const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? '0');
    const failedConnect = /Failed requests:\s+\d+\s*\n\s*\(Connect: (\d+), Receive: (\d+)/.exec(stdout);
    console.log(`# ab -n 2000 -c 50 through nginx: ${complete} complete, ${2000 - non2xx} x 2xx, ${non2xx} non-2xx${failedConnect ? `, connect/receive failures ${failedConnect[1]}/${failedConnect[2]}` : ''}`);
    assert.equal(complete, 2000);
    assert.equal(2000 - non2xx, 500, stdout);
    if (failedConnect) assert.deepEqual([failedConnect[1], failedConnect[2]], ['0', '0'], 'ab only counts the sold-out answers\' other length as failures');
    await assertSoldExactly(ledger, PREFIX, 'abfront', 500);
  });

  it('ships a HAProxy config that HAProxy accepts', async () => {
    const cfg = join(__dirname, '..', '..', '..', 'config', 'haproxy', 'spike.cfg');
    const checked = await run('haproxy', ['-c', '-f', cfg]).catch((error: { stdout?: string; stderr?: string }) => error);
    assert.match(`${checked.stdout}${checked.stderr}`, /Configuration file is valid/);
  });
});
