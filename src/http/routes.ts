// The HTTP API. Each handler reads everything it needs from the uWS request
// before its first await (uWS frees the request object then), and answers
// through an Exchange, which corks and respects client aborts.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { SpikeError } from '../errors/errors';
import { saleIdOfOrder, type Ledger, type Order, type Sale } from '../inventory/ledger';
import type { StockKeeper } from '../inventory/stock-keeper';
import { parseJsonObject, readBody } from './read-body';
import { Exchange, sendPrebuilt } from './respond';
import { checkId, checkIdempotencyKey, isValidBuyer, parseSaleSpec } from './validate';

export interface RouteContext {
  readonly ledger: Ledger;
  readonly keeper: StockKeeper;
  readonly adminToken: string;
  readonly defaultSaleId: string;
  readonly maxBodyBytes: number;
  readonly workerSlot: number;
  /** Asks the primary for the balancer's per-worker figures. */
  readonly clusterStats: () => Promise<unknown>;
  /** Counts every request and tracks in-flight ones for graceful shutdown. */
  readonly track: { begin(): () => void; count(): void; readonly draining: boolean };
}

export function saleToJson(sale: Sale, now = Date.now()) {
  const remaining = Math.max(0, sale.total - sale.sold);
  let status: 'scheduled' | 'open' | 'sold_out' | 'closed';
  if (sale.closesAt !== null && now >= sale.closesAt) status = 'closed';
  else if (sale.opensAt !== null && now < sale.opensAt) status = 'scheduled';
  else if (remaining === 0) status = 'sold_out';
  else status = 'open';
  return {
    id: sale.id,
    name: sale.name,
    total: sale.total,
    sold: sale.sold,
    remaining,
    perUserLimit: sale.perUserLimit,
    opensAt: sale.opensAt === null ? null : new Date(sale.opensAt).toISOString(),
    closesAt: sale.closesAt === null ? null : new Date(sale.closesAt).toISOString(),
    status,
  };
}

export function orderToJson(order: Order) {
  return {
    orderId: order.orderId,
    saleId: order.saleId,
    userId: order.userId,
    state: order.state,
    createdAt: new Date(order.createdAt).toISOString(),
  };
}

function isAdmin(header: string, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function requireJsonContentType(contentType: string): void {
  if (contentType !== '' && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new SpikeError('UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json, got "${contentType}"`);
  }
}

export function registerRoutes(app: TemplatedApp, ctx: RouteContext): void {
  /** Wraps a handler: one Exchange per request, every failure becomes the error envelope. */
  const handle = (run: (exchange: Exchange, req: HttpRequest) => Promise<void> | void) => (res: HttpResponse, req: HttpRequest) => {
    const exchange = new Exchange(res, ctx.track.begin());
    if (ctx.track.draining) {
      exchange.sendJson(503, new SpikeError('SHUTTING_DOWN', 'the server is shutting down; retry on another instance').toJSON(), { connection: 'close' });
      return;
    }
    try {
      const pending = run(exchange, req);
      if (pending) pending.catch((error: unknown) => exchange.sendError(error));
    } catch (error) {
      exchange.sendError(error);
    }
  };

  const purchase = async (exchange: Exchange, saleId: string, userId: string, idempotencyKey: string | undefined) => {
    const result = await ctx.keeper.purchase(saleId, userId, idempotencyKey);
    exchange.sendJson(201, orderToJson(result.order), result.created ? undefined : { 'idempotent-replayed': 'true' });
  };

  app.post('/api/sales', handle(async (exchange, req) => {
    const authorization = req.getHeader('authorization');
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    if (!isAdmin(authorization, ctx.adminToken)) {
      throw new SpikeError('UNAUTHORIZED', 'creating a sale needs the header Authorization: Bearer <ADMIN_TOKEN>');
    }
    requireJsonContentType(contentType);
    const spec = parseSaleSpec(parseJsonObject(await readBody(exchange, ctx.maxBodyBytes, contentLength)));
    const sale = await ctx.ledger.createSale(spec, Date.now());
    if (!sale) throw new SpikeError('SALE_EXISTS', `a sale with id "${spec.id}" already exists`);
    ctx.keeper.sales.remember(sale);
    exchange.sendJson(201, saleToJson(sale), { location: `/api/sales/${sale.id}` });
  }));

  app.get('/api/sales/:id', handle(async (exchange, req) => {
    const saleId = checkId('sale id', req.getParameter(0));
    const sale = await ctx.keeper.sales.get(saleId);
    if (!sale) throw new SpikeError('SALE_NOT_FOUND', `no sale has id "${saleId}"`);
    exchange.sendJson(200, saleToJson(sale));
  }));

  app.post('/api/sales/:id/purchases', handle(async (exchange, req) => {
    const rawSaleId = req.getParameter(0);
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    const rawKey = req.getHeader('idempotency-key');
    const body = await readBody(exchange, ctx.maxBodyBytes, contentLength);
    const saleId = checkId('sale id', rawSaleId);
    requireJsonContentType(contentType);
    const userId = checkId('userId', parseJsonObject(body).userId);
    await purchase(exchange, saleId, userId, checkIdempotencyKey(rawKey));
  }));

  app.get('/api/orders/:orderId', handle(async (exchange, req) => {
    const orderId = req.getParameter(0);
    const saleId = saleIdOfOrder(orderId);
    if (!saleId || orderId.length > 100) throw new SpikeError('ORDER_NOT_FOUND', `no order has id "${orderId.slice(0, 100)}"`);
    const order = await ctx.ledger.getOrder(orderId);
    if (!order) throw new SpikeError('ORDER_NOT_FOUND', `no order has id "${orderId}"`);
    exchange.sendJson(200, orderToJson(order));
  }));

  // The seed article's route, kept so its `ab` stress test runs unchanged.
  const buyTicket = handle(async (exchange, req) => {
    const user = req.getQuery('user') ?? '';
    const rawKey = req.getHeader('idempotency-key');
    const userId = user === '' ? `anon-${randomBytes(9).toString('base64url')}` : checkId('user', user);
    await purchase(exchange, ctx.defaultSaleId, userId, checkIdempotencyKey(rawKey));
  });
  app.get('/buy/ticket', (res, req) => {
    // Past the stock, a buyer is turned away here: no ledger call, no promise, no error object.
    if (!ctx.track.draining && req.getHeader('idempotency-key') === '') {
      const refusal = ctx.keeper.quickRefusal(ctx.defaultSaleId, undefined, Date.now());
      if (refusal && isValidBuyer(req.getQuery('user'))) {
        ctx.track.count();
        sendPrebuilt(res, refusal.status, refusal.body);
        return;
      }
    }
    buyTicket(res, req);
  });

  app.get('/healthz', handle(async (exchange) => {
    try {
      await ctx.ledger.ping();
      exchange.sendJson(200, { status: 'ok', worker: ctx.workerSlot, ledger: ctx.ledger.description });
    } catch (error) {
      exchange.sendJson(503, { status: 'unavailable', worker: ctx.workerSlot, ...(error instanceof SpikeError ? error.toJSON() : { error: { code: 'ledger_unavailable', message: String(error) } }) });
    }
  }));

  app.get('/api/cluster', handle(async (exchange, req) => {
    if (!isAdmin(req.getHeader('authorization'), ctx.adminToken)) {
      throw new SpikeError('UNAUTHORIZED', 'cluster figures need the header Authorization: Bearer <ADMIN_TOKEN>');
    }
    exchange.sendJson(200, await ctx.clusterStats());
  }));

  app.any('/*', handle((exchange, req) => {
    throw new SpikeError('ROUTE_NOT_FOUND', `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`);
  }));
}
