// Every query parameter of every route, fed hostile values over raw sockets on
// both ledgers: a bad value is a 400 naming the parameter, never a 500 or a
// dropped connection, and the fuzzing buys or loses nothing it should not.
// The route table is checked against the source, so a new route or query
// parameter without a row here fails this test.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/client';
import { exchange, type RawAnswer } from '../helpers/raw-http';
import { adminRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ADMIN_TOKEN, startServer, type RunningServer } from '../helpers/server';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const SRC = join(__dirname, '..', '..', '..', 'src');
const MAX_U64 = 18446744073709551615n;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const u64 = (text: string) => /^\d{1,20}$/.test(text) && BigInt(text) <= MAX_U64;

type Ledger = 'embedded' | 'redis';
/** Whether a value (as the route reads it, decoded) is one the parameter takes; a value it does not take must be a 400 naming it. */
type Accepts = (value: string, ledger: Ledger) => boolean;

const limit: Accepts = (v) => v === '' || (/^\d{1,7}$/.test(v) && Number(v) >= 1 && Number(v) <= 1000);

interface Route {
  readonly method: string;
  readonly pattern: string;
  /** The query parameters it reads, and what each takes. */
  readonly params: Readonly<Record<string, Accepts>>;
  readonly headers?: Record<string, string>;
}

const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: '/api/sales', headers: admin, params: { cursor: (v, l) => v === '' || (l === 'redis' ? u64(v) : ID.test(v)), limit } },
  { method: 'GET', pattern: '/api/sales/:id/orders', headers: admin, params: { state: (v) => ['', 'reserved', 'paid', 'expired', 'cancelled'].includes(v), cursor: (v) => v === '' || u64(v), limit } },
  { method: 'GET', pattern: '/api/sales/:id/feed', headers: admin, params: { after: (v) => v === '' || (v.split('-').length <= 2 && v.split('-').every(u64)), limit } },
  { method: 'GET', pattern: '/buy/ticket', params: { user: (v) => v === '' || ID.test(v) } },
  { method: 'GET', pattern: '/api/orders/:orderId/ticket', params: { userId: (v) => ID.test(v), format: (v) => ['', 'json', 'svg', 'png'].includes(v) } },
  // A wrong token is a 401, never a 400.
  { method: 'GET', pattern: '/dashboard', params: { token: () => true } },
  { method: 'POST', pattern: '/api/sales', params: {} },
  { method: 'PATCH', pattern: '/api/sales/:id', params: {} },
  { method: 'POST', pattern: '/api/sales/:id/close', params: {} },
  { method: 'DELETE', pattern: '/api/sales/:id', params: {} },
  { method: 'GET', pattern: '/api/sales/:id', params: {} },
  { method: 'POST', pattern: '/api/sales/:id/purchases', params: {} },
  { method: 'GET', pattern: '/api/sales/:id/audit', headers: admin, params: {} },
  { method: 'GET', pattern: '/api/orders/:orderId', params: {} },
  { method: 'POST', pattern: '/api/orders/:orderId/pay', params: {} },
  { method: 'POST', pattern: '/api/orders/:orderId/cancel', params: {} },
  { method: 'POST', pattern: '/api/sales/:id/queue', params: {} },
  { method: 'GET', pattern: '/api/sales/:id/queue/:ticket', params: {} },
  { method: 'GET', pattern: '/s/assets/:file', params: {} },
  { method: 'GET', pattern: '/s/:saleId', params: {} },
  { method: 'GET', pattern: '/api/tickets/public-key', params: {} },
  { method: 'POST', pattern: '/api/checkins', params: {} },
  { method: 'GET', pattern: '/metrics', headers: admin, params: {} },
  { method: 'GET', pattern: '/dashboard/files/:name', params: {} },
  { method: 'GET', pattern: '/healthz', params: {} },
  { method: 'GET', pattern: '/api/cluster', headers: admin, params: {} },
  { method: 'POST', pattern: '/api/trains', params: {} },
  { method: 'GET', pattern: '/api/trains/:id', params: {} },
  { method: 'POST', pattern: '/api/trains/:id/purchases', params: {} },
  { method: 'GET', pattern: '/api/trains/:id/audit', headers: admin, params: {} },
  // Any non-empty name passes the parameter check; one that is not a station of the train is a 400 bad_route, which names the trip.
  { method: 'GET', pattern: '/api/trains/:id/availability', params: { from: (v) => v !== '', to: (v) => v !== '' } },
  { method: 'GET', pattern: '/no/such/route', params: {} },
];

/** Raw query values, written as they go on the wire. */
const VALUES = [
  '', '-', '+', '(', '(0', '0', '-1', '1.5', '1e3', '0x10', '%201', '1%20', '0-0', '1-2-3', '-0', '0-', 'abc', 'reserved', 'png', '7',
  '99999999999999999999999', '18446744073709551615', '18446744073709551616', '18446744073709551615-18446744073709551615', '1-18446744073709551616',
  '%00', '%FF', '%ZZ', '%', '%E2%82%AC', '..%2F..%2Fetc%2Fpasswd', '%27%3B%20DROP%20TABLE', '[]', '{}', 'null', 'undefined', 'NaN', 'Infinity',
  '1%0D%0AX-Injected:%201', 'a'.repeat(1500),
];

function decoded(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
}

describe('query fuzz: the route table matches the source', () => {
  it('lists every route and every query parameter the source reads', () => {
    const sources = walk(SRC).map((file) => readFileSync(file, 'utf8'));
    const VERB: Record<string, string> = { get: 'GET', post: 'POST', patch: 'PATCH', put: 'PUT', del: 'DELETE' };
    const routes = new Set<string>();
    const params = new Set<string>();
    for (const text of sources) {
      for (const match of text.matchAll(/\bapp\.(get|post|patch|put|del)(?:<[^>]*>)?\(\s*'([^']+)'/g)) routes.add(`${VERB[match[1]!]} ${match[2]}`);
      for (const match of text.matchAll(/getQuery\('([^']+)'\)/g)) params.add(match[1]!);
      for (const match of text.matchAll(/URLSearchParams\(req\.getQuery\(\)[^)]*\)\.get\('([^']+)'\)/g)) params.add(match[1]!);
    }
    const tabled = new Set(ROUTES.filter((r) => r.pattern !== '/no/such/route').map((r) => `${r.method} ${r.pattern}`));
    assert.deepEqual([...routes].sort(), [...tabled].sort(), 'every route in src/ has a row here');
    assert.ok(routes.size >= 25, `found ${routes.size} routes`);
    const fuzzed = new Set(ROUTES.flatMap((r) => Object.keys(r.params)));
    assert.deepEqual([...params].sort(), [...fuzzed].sort(), 'every query parameter read in src/ is fuzzed');
  });
});

const root = mkdtempSync(join(tmpdir(), 'spike-query-fuzz-'));
const prefixes: string[] = [];
after(async () => {
  rmSync(root, { recursive: true, force: true });
  const redis = adminRedis();
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await redis.quit();
});

for (const ledger of ['embedded', 'redis'] as const) {
  describe(`query fuzz on the ${ledger} ledger`, () => {
    let server: RunningServer;
    let orderId: string;

    before(async () => {
      const prefix = uniquePrefix('fuzz');
      prefixes.push(prefix);
      const env: Record<string, string> = ledger === 'redis' ? { LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: prefix } : { LEDGER: 'embedded', REDIS_URL: '', DATA_DIR: join(root, 'data') };
      server = await startServer({ WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '2000', SOCKET_DIR: join(root, `sockets-${ledger}`), DEFAULT_SALE_ID: 'demo', DEFAULT_SALE_TOTAL: '100000', ...env });
      assert.equal((await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id: 'fz', total: 10, holdSeconds: 0 } })).status, 201);
      const bought = await request(`${server.url}/api/sales/fz/purchases`, { method: 'POST', body: { userId: 'fzbuyer' } });
      assert.equal(bought.status, 201, bought.text);
      orderId = bought.body.orderId;
      const train = await request(`${server.url}/api/trains`, { method: 'POST', headers: admin, body: { id: 'fzt', stations: ['A', 'B', 'C'], seats: 4 } });
      assert.equal(train.status, 201, train.text);
    });
    after(async () => {
      assert.equal(await server.stop(), 0, server.output());
    });

    const get = async (method: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> => {
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      const sent = `${method} ${path} HTTP/1.1\r\nHost: fuzz\r\n${head}${method === 'GET' ? '' : 'Content-Length: 0\r\n'}Connection: close\r\n\r\n`;
      const { answers, ended } = await exchange(server.port, sent, { expect: 1, timeoutMs: 10_000 });
      assert.equal(answers.length, 1, `${method} ${path.slice(0, 120)}: no answer (${ended})`);
      return answers[0]!;
    };
    const pathOf = (pattern: string) =>
      pattern.replace('/api/trains/:id', '/api/trains/fzt').replace(':orderId', orderId).replace(':id', 'fz').replace(':saleId', 'fz').replace(':ticket', 'challenge').replace(':file', 'page.js').replace(':name', 'dashboard.js');

    it('answers every value of every parameter with a 4xx naming it or a proper answer, never a 500', async () => {
      let requests = 0;
      let bought = 0;
      const failures: string[] = [];
      for (const route of ROUTES) {
        // Each parameter the route reads, and one it does not (which must be ignored, whatever it holds).
        const params: Array<[string, Accepts | null]> = [...Object.entries(route.params), ['zz', null]];
        for (const [param, accepts] of params) {
          for (const raw of VALUES) {
            // The other parameters a route needs, at good values, so that only the one under test can be wrong.
            const others =
              route.pattern === '/api/orders/:orderId/ticket' && param !== 'userId'
                ? '&userId=fzbuyer'
                : route.pattern === '/api/trains/:id/availability'
                  ? `${param === 'from' ? '' : '&from=A'}${param === 'to' ? '' : '&to=C'}`
                  : '';
            const path = `${pathOf(route.pattern)}?${param}=${raw}${others}`;
            const answer = await get(route.method, path, route.headers);
            requests++;
            const what = `${route.method} ${path.slice(0, 100)} -> ${answer.status} ${answer.body.slice(0, 200)}`;
            if (answer.status >= 500 || answer.status < 200) {
              failures.push(what);
              continue;
            }
            if (route.pattern === '/buy/ticket' && answer.status === 201) bought++;
            const json = /json/.test(answer.headers['content-type'] ?? '') ? JSON.parse(answer.body) : null;
            if (answer.status === 400 && json?.error?.code === 'invalid_field' && accepts !== null && !new RegExp(`^${param} must`).test(json.error.message)) {
              failures.push(`${what}: a 400 that names something else`);
            }
            const value = decoded(raw);
            // Values with escapes are decoded by uWS in its own way: for those only "no 500" is asserted.
            if (accepts === null || value === null || raw.includes('%')) continue;
            const namesIt = answer.status === 400 && json?.error?.code === 'invalid_field' && new RegExp(`^${param} must`).test(json.error.message);
            if (accepts(value, ledger) === namesIt) failures.push(`${what}: expected ${accepts(value, ledger) ? 'it taken' : `a 400 naming ${param}`}`);
          }
        }
      }
      assert.deepEqual(failures, [], `${failures.length} of ${requests} answers were wrong`);
      assert.ok(requests > 1000, `${requests} requests`);
      assert.doesNotMatch(server.output(), /unexpected error while serving a request/, 'no stack trace was logged');

      // Nothing lost, nothing extra: the one order of fz stands, and demo sold exactly the 201s.
      const fz = await request(`${server.url}/api/sales/fz/audit`, { headers: admin });
      assert.equal(fz.body.sold, 1);
      assert.equal(fz.body.consistent, true);
      const demo = await request(`${server.url}/api/sales/demo/audit`, { headers: admin });
      assert.equal(demo.body.sold, bought, 'the default sale sold one ticket per 201');
      assert.equal(demo.body.consistent, true);
      assert.equal((await request(`${server.url}/api/orders/${orderId}`)).body.state, 'paid', 'the one order stands as it was');
    });

    it('the reported attacks: feed?after=- and orders?cursor=99999999999999999999999 are 400s naming the parameter', async () => {
      const feed = await get('GET', '/api/sales/fz/feed?after=-', admin);
      assert.equal(feed.status, 400, feed.body);
      assert.match(JSON.parse(feed.body).error.message, /^after must/);
      const orders = await get('GET', '/api/sales/fz/orders?cursor=99999999999999999999999', admin);
      assert.equal(orders.status, 400, orders.body);
      assert.match(JSON.parse(orders.body).error.message, /^cursor must/);
      // The largest stream id is a place nothing follows, not an error.
      const last = await get('GET', '/api/sales/fz/feed?after=18446744073709551615-18446744073709551615', admin);
      assert.equal(last.status, 200, last.body);
      assert.deepEqual(JSON.parse(last.body).events, []);
    });
  });
}
