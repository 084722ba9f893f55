// The worker's half of the operator's dashboard: the page and its files
// (public: they hold no figures), and the admin-only WebSocket that pushes the
// cluster's figures, fetched from the primary once a second while anyone watches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { spikeError } from '../errors/errors';
import { isAdmin } from '../http/handler';
import type { RouteContext } from '../http/route-context';
import type { DashboardFeed } from './dashboard-feed';


/** The WebSocket subprotocol that carries the admin token (browsers cannot set an Authorization header on a WebSocket). */
export const TOKEN_PROTOCOL_PREFIX = 'spike-admin.';
const PUSH_MS = 1000;

// Sources, not dist/: the page's files are served as written, with no build step.
const STATIC_DIR = join(__dirname, '..', '..', '..', 'src', 'dashboard', 'static');
const FILES: Record<string, { readonly path: string; readonly type: string }> = {
  'dashboard.js': { path: join(STATIC_DIR, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: join(STATIC_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

interface Viewer {
  readonly admin: true;
}

export function registerDashboardRoutes(app: TemplatedApp, ctx: RouteContext, feed: DashboardFeed): void {
  const page = readFileSync(join(STATIC_DIR, 'index.html'));
  const files = new Map(Object.entries(FILES).map(([name, file]) => [name, { body: readFileSync(file.path), type: file.type }]));

  // The token comes as ?token= (a link an operator can open) or as the usual header.
  app.get('/dashboard', ctx.handle((exchange, req) => {
    const token = new URLSearchParams(req.getQuery() ?? '').get('token') ?? '';
    if (!isAdmin(req.getHeader('authorization'), ctx.adminToken) && !isAdmin(`Bearer ${token}`, ctx.adminToken)) {
      throw spikeError('UNAUTHORIZED', { what: 'the dashboard (or open /dashboard?token=<ADMIN_TOKEN>)' });
    }
    exchange.sendText(200, page, 'text/html; charset=utf-8', { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  }));

  app.get('/dashboard/files/:name', ctx.handle((exchange, req) => {
    const file = files.get(req.getParameter(0) ?? '');
    if (!file) throw spikeError('ROUTE_NOT_FOUND', { method: 'GET', url: req.getUrl() });
    exchange.sendText(200, file.body, file.type, { 'cache-control': 'max-age=300' });
  }));

  // The open sockets, sent to one by one: the app handed in may be a wrapper
  // (route labels, the route table) without uWS's publish.
  const viewers = new Set<WebSocket<Viewer>>();
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  // The snapshot names the worker that serves this page's socket: a page whose
  // worker dies reconnects through another, and an operator should know why.
  const viaThisWorker = (snapshot: string) => `${snapshot.slice(0, -1)},"via":${ctx.workerSlot}}`;
  const push = async (fresh = false) => {
    try {
      last = viaThisWorker(await feed.snapshot(fresh));
    } catch {
      // The primary is busy or restarting a worker: the next push tries again.
      return;
    }
    for (const ws of viewers) ws.send(last);
  };

  feed.onNudge?.(() => {
    if (viewers.size > 0) void push(true);
  });

  app.ws<Viewer>('/dashboard/live', {
    idleTimeout: 60,
    maxPayloadLength: 1024,
    upgrade: (res, req, context) => {
      const protocols = req.getHeader('sec-websocket-protocol');
      const offered = protocols.split(',').map((p) => p.trim()).find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
      if (!offered || !isAdmin(`Bearer ${offered.slice(TOKEN_PROTOCOL_PREFIX.length)}`, ctx.adminToken)) {
        const error = spikeError('UNAUTHORIZED', { what: `the dashboard feed (as the WebSocket subprotocol ${TOKEN_PROTOCOL_PREFIX}<token>)` });
        res.writeStatus('401 Unauthorized').writeHeader('content-type', 'application/json').end(JSON.stringify(error.toJSON()));
        return;
      }
      res.upgrade<Viewer>({ admin: true }, req.getHeader('sec-websocket-key'), offered, req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws: WebSocket<Viewer>) => {
      if (last) ws.send(last);
      viewers.add(ws);
      if (!timer) {
        void push();
        timer = setInterval(() => void push(), PUSH_MS);
      }
    },
    close: (ws: WebSocket<Viewer>) => {
      viewers.delete(ws);
      if (viewers.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  });
}
