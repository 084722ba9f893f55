// Serves the buyer's page (/s/:saleId) and its few static files from memory:
// plain HTML, CSS and ES modules, read once at start-up, no bundler.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';

/** The page's files live beside this module (src/admission/page), copied next to the compiled code by the build. */
export const PAGE_DIR = join(__dirname, 'page');

const TYPES: Record<string, string> = {
  'page.js': 'text/javascript; charset=utf-8',
  'pow-worker.js': 'text/javascript; charset=utf-8',
  'page.css': 'text/css; charset=utf-8',
};

function send(res: HttpResponse, status: string, type: string, body: string | Buffer, cache: string): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', type).writeHeader('cache-control', cache).writeHeader('x-content-type-options', 'nosniff').end(body);
  });
}

export function registerBuyerPage(app: TemplatedApp): void {
  const index = readFileSync(join(PAGE_DIR, 'index.html'));
  const assets = new Map(Object.keys(TYPES).map((name) => [name, readFileSync(join(PAGE_DIR, name))]));

  app.get('/s/assets/:file', (res, req) => {
    const name = req.getParameter(0);
    const body = assets.get(name);
    if (!body) return send(res, '404 Not Found', 'text/plain; charset=utf-8', `no file ${name.slice(0, 64)}`, 'no-store');
    send(res, '200 OK', TYPES[name]!, body, 'public, max-age=60');
  });
  // The same page for every sale: it reads the sale id from its own address.
  app.get('/s/:saleId', (res) => send(res, '200 OK', 'text/html; charset=utf-8', index, 'no-cache'));
}
