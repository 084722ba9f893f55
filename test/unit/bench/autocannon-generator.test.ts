// The fallback load generator on a real local HTTP server: a slice whose quota
// is below its connection count (a phase's last slice, with few buyers left)
// sends exactly its quota. autocannon itself refuses more connections than
// requests, and that failed a cluster-cell CI run.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { AutocannonGenerator } from '../../../bench/load/autocannon-generator';

it('sends a quota smaller than its connections, one request per id', async () => {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url!);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const result = await new AutocannonGenerator().runSlice({
      url: `http://127.0.0.1:${port}`,
      pathPrefix: '/buy/ticket?user=u',
      firstId: 0,
      quota: 5,
      connections: 20,
      threads: 1,
      durationMs: 5000,
      timeoutSeconds: 5,
    });
    assert.equal(result.sent, 5);
    assert.deepEqual(paths.sort(), [1, 2, 3, 4, 5].map((id) => `/buy/ticket?user=u${id}`));
  } finally {
    server.close();
  }
});
