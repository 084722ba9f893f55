// The route table finds the handler uWS would run: by method and pattern, a
// literal segment before a parameter, the catch-all last, parameters in order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { recordRoutes, RouteTable, type Handler } from '../../../src/http/route-table';

function named(name: string): Handler {
  const handler = (_res: HttpResponse, _req: HttpRequest) => {};
  Object.defineProperty(handler, 'name', { value: name });
  return handler;
}

/** A stand-in for uWS's app that only takes registrations. */
function fakeApp(): TemplatedApp {
  const app: Record<string, unknown> = {};
  for (const method of ['get', 'post', 'patch', 'put', 'del', 'any', 'ws']) app[method] = () => app;
  return app as unknown as TemplatedApp;
}

describe('RouteTable.match', () => {
  const table = new RouteTable();
  const app = recordRoutes(fakeApp(), table);
  app.get('/api/sales/:id', named('sale'));
  app.get('/api/sales/:id/queue/:ticket', named('place'));
  app.get('/api/sales/recent', named('recent'));
  app.post('/api/sales/:id/purchases', named('purchase'));
  app.get('/s/:saleId', named('page'));
  app.get('/s/assets/:file', named('asset'));
  app.any('/*', named('catchAll'));

  const found = (method: string, url: string) => {
    const match = table.match(method, url);
    return match && { handler: match.handler.name, parameters: match.parameters };
  };

  it('takes a route of the same method whose pattern matches, with its parameters in order', () => {
    assert.deepEqual(found('GET', '/api/sales/G1'), { handler: 'sale', parameters: ['G1'] });
    assert.deepEqual(found('GET', '/api/sales/G1/queue/t-9'), { handler: 'place', parameters: ['G1', 't-9'] });
    assert.deepEqual(found('POST', '/api/sales/G1/purchases'), { handler: 'purchase', parameters: ['G1'] });
  });

  it('prefers a literal segment to a parameter, whichever was registered first', () => {
    assert.deepEqual(found('GET', '/api/sales/recent'), { handler: 'recent', parameters: [] });
    assert.deepEqual(found('GET', '/s/assets/app.js'), { handler: 'asset', parameters: ['app.js'] });
    assert.deepEqual(found('GET', '/s/G1'), { handler: 'page', parameters: ['G1'] });
  });

  it('falls to the catch-all for another method, an empty parameter, a trailing slash or an unknown path', () => {
    for (const [method, url] of [
      ['DELETE', '/api/sales/G1'],
      ['GET', '/api/sales/'],
      ['GET', '/api/sales/G1/'],
      ['GET', '/nope'],
      ['HEAD', '/api/sales/G1'],
    ] as const) {
      assert.deepEqual(found(method, url), { handler: 'catchAll', parameters: [] }, `${method} ${url}`);
    }
  });

  it('finds a literal pattern by one lookup with the same answer the scan gives: the first registered wins, a parameter never beats it', () => {
    const table = new RouteTable();
    const app = recordRoutes(fakeApp(), table);
    app.get('/buy/:what', named('param first'));
    app.get('/buy/ticket', named('literal'));
    app.get('/buy/ticket', named('literal again'));
    app.post('/buy/ticket', named('post'));
    app.any('/*', named('catchAll'));
    const name = (method: string, url: string) => table.match(method, url)?.handler.name;
    assert.equal(name('GET', '/buy/ticket'), 'literal');
    assert.deepEqual(table.match('GET', '/buy/ticket')!.parameters, []);
    assert.equal(name('POST', '/buy/ticket'), 'post');
    assert.equal(name('GET', '/buy/seat'), 'param first');
    // Only the exact path: no trailing slash, no other method.
    assert.equal(name('GET', '/buy/ticket/'), 'catchAll');
    assert.equal(name('PUT', '/buy/ticket'), 'catchAll');
  });

  it('refuses an any() route other than the catch-all, which it could not match as uWS does', () => {
    assert.throws(() => recordRoutes(fakeApp(), new RouteTable()).any('/api/*', named('x')), /only the catch-all/);
  });
});
