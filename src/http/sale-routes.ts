// Sales: create, list, change, close and delete (admin), read (from the
// per-worker view), buy, and the admin views of a sale's orders and order feed.
import type { TemplatedApp } from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import { LedgerUnavailableError, spikeError } from '../errors/errors';
import type { OrderState } from '../ledger';
import { clientAddress, parseAdmission } from '../admission';
import { randomToken } from '../inventory/order-ids';
import { OUTCOME, outcomeIndex } from '../metrics';
import { requireAdmin, requireJsonContentType } from './handler';
import { answerFor, refusalFor, sendAnswer } from './outcome-answers';
import { PrebuiltRefusals } from './prebuilt-refusals';
import { parseJsonObject, readBody } from './read-body';
import { sendPrebuilt, type Exchange } from './respond';
import type { RouteContext } from './route-context';
import { parseSaleChanges, parseSaleSpec, SALE_CHANGE_FIELDS, SALE_FIELDS } from './sale-input';
import { checkId, checkIdempotencyKey, isValidBuyer, checkCursor, checkLimit, checkOrderState, checkPosition, checkSaleCursor } from './validate';
import { feedEventToJson, orderToJson, saleToJson } from './views';

const NO_PASS = { pass: '', address: '' };

export function registerSaleRoutes(app: TemplatedApp, ctx: RouteContext): void {
  const { handle } = ctx;

  const purchases = ctx.metrics?.purchases;
  const purchase = async (exchange: Exchange, saleId: string, userId: string, idempotencyKey: string | undefined, gate: { pass: string; address: string } = NO_PASS) => {
    // A client that went away before its body arrived gets no reservation made in its name.
    if (exchange.aborted) return;
    // A queue sale sells only with a pass: one HMAC here, spent by the ledger with the reservation.
    const sale = ctx.keeper.peekSale(saleId) ?? (await ctx.keeper.sales.get(saleId));
    const pass = sale ? ctx.admission.checkPurchase(sale, userId, gate.pass, gate.address, Date.now()) : undefined;
    let outcome;
    try {
      outcome = await ctx.keeper.purchase(saleId, userId, idempotencyKey, pass);
    } catch (error) {
      if (purchases && error instanceof LedgerUnavailableError) purchases.add(saleId, OUTCOME.unavailable);
      throw error;
    }
    // A made-up sale id (not_found) is not counted: it must not become a label.
    const counted = purchases ? outcomeIndex(outcome.kind) : undefined;
    if (counted !== undefined) purchases!.add(saleId, counted);
    sendAnswer(exchange, answerFor('reserve', outcome, { saleId, userId }));
  };

  const existingSale = async (saleId: string) => {
    const sale = await ctx.keeper.sales.get(saleId);
    if (!sale) throw spikeError('SALE_NOT_FOUND', { saleId });
    return sale;
  };
  // The admin's reads ask the ledger, not this worker's view: right after a
  // delete on another worker, the view may not have heard of it yet, and an
  // operator reading a sale's orders or feed must not be told of a sale that is gone.
  const saleInLedger = async (saleId: string) => {
    const sale = await ctx.keeper.sales.reload(saleId);
    if (!sale) throw spikeError('SALE_NOT_FOUND', { saleId });
    return sale;
  };

  app.post('/api/sales', handle(async (exchange, req) => {
    const authorization = req.getHeader('authorization');
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    requireAdmin(authorization, ctx.adminToken, 'creating a sale');
    requireJsonContentType(contentType);
    const fields = parseJsonObject(await readBody(exchange, ctx.maxBodyBytes, contentLength), '{"id":"G1234","total":500}', SALE_FIELDS);
    const admission = parseAdmission(fields.admission, ctx.admissionDefaults);
    const spec = { ...parseSaleSpec(fields), ...(admission ? { admission } : {}) };
    const sale = await ctx.ledger.createSale(spec, Date.now());
    if (!sale) throw spikeError('SALE_EXISTS', { saleId: spec.id });
    ctx.keeper.sales.remember(sale);
    exchange.sendJson(201, saleToJson(sale), { location: `/api/sales/${sale.id}` });
  }));

  app.get('/api/sales', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, 'listing sales');
    const cursor = checkSaleCursor(req.getQuery('cursor') ?? '');
    const limit = checkLimit(req.getQuery('limit') ?? '', 100, 1000);
    const page = await ctx.ledger.listSales(cursor, limit);
    exchange.sendJson(200, { sales: page.sales.map((sale) => saleToJson(sale)), cursor: page.cursor });
  }));

  // Every change below is atomic in the ledger, which announces it to every
  // worker; this worker also takes the ledger's answer as its view at once.
  app.patch('/api/sales/:id', handle(async (exchange, req) => {
    const rawSaleId = req.getParameter(0);
    const authorization = req.getHeader('authorization');
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    requireAdmin(authorization, ctx.adminToken, 'changing a sale');
    const saleId = checkId('sale id', rawSaleId);
    requireJsonContentType(contentType);
    const changes = parseSaleChanges(parseJsonObject(await readBody(exchange, ctx.maxBodyBytes, contentLength), '{"total":600}', SALE_CHANGE_FIELDS));
    const outcome = await ctx.ledger.updateSale(saleId, changes, Date.now());
    if (outcome.kind !== 'updated') throw refusalFor('updateSale', outcome, { saleId })!;
    ctx.keeper.adopt(outcome.sale);
    exchange.sendJson(200, saleToJson(outcome.sale));
  }));

  app.post('/api/sales/:id/close', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, 'closing a sale');
    const saleId = checkId('sale id', req.getParameter(0));
    const outcome = await ctx.ledger.closeSale(saleId, Date.now());
    if (outcome.kind === 'not_found') throw refusalFor('closeSale', outcome, { saleId })!;
    ctx.keeper.adopt(outcome.sale);
    exchange.sendJson(200, saleToJson(outcome.sale), outcome.kind === 'already_closed' ? { 'idempotent-replayed': 'true' } : undefined);
  }));

  app.del('/api/sales/:id', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, 'deleting a sale');
    const saleId = checkId('sale id', req.getParameter(0));
    const outcome = await ctx.ledger.deleteSale(saleId);
    if (outcome.kind !== 'deleted') throw refusalFor('deleteSale', outcome, { saleId })!;
    void ctx.keeper.saleChanged(saleId);
    exchange.sendJson(200, { id: saleId, deleted: true });
  }));

  app.get('/api/sales/:id', handle(async (exchange, req) => {
    const saleId = checkId('sale id', req.getParameter(0));
    exchange.sendJson(200, saleToJson(await existingSale(saleId)));
  }));

  app.post('/api/sales/:id/purchases', handle(async (exchange, req) => {
    const rawSaleId = req.getParameter(0);
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    const rawKey = req.getHeader('idempotency-key');
    const authorization = req.getHeader('authorization');
    const gate = { pass: req.getHeader('spike-pass'), address: clientAddress(exchange.res, req, ctx.trustProxy) };
    const body = await readBody(exchange, ctx.maxBodyBytes, contentLength);
    const saleId = checkId('sale id', rawSaleId);
    requireJsonContentType(contentType);
    const userId = checkId('userId', await ctx.buyerAuth.identify(authorization, parseJsonObject(body, '{"userId":"alice"}', ['userId']).userId));
    await purchase(exchange, saleId, userId, checkIdempotencyKey(rawKey), gate);
  }));

  // The seed article's route, kept so its `ab` stress test runs unchanged.
  const buyTicket = handle(async (exchange, req) => {
    const user = req.getQuery('user') ?? '';
    const rawKey = req.getHeader('idempotency-key');
    const authorization = req.getHeader('authorization');
    const idempotencyKey = checkIdempotencyKey(rawKey);
    let userId: string;
    if (user === '' && (ctx.buyerAuth.mode === 'none' || authorization === '')) {
      // One new buyer per request: only where the sale says so, or one client could take it all.
      const sale = await existingSale(ctx.defaultSaleId);
      if (!sale.anonymous) throw spikeError('INVALID_FIELD', { field: 'user', allowed: `given: sale "${sale.id}" was not created with anonymous: true, so /buy/ticket needs ?user=<buyer id>` });
      userId = `anon-${randomToken(9)}`;
    } else {
      userId = checkId('user', await ctx.buyerAuth.identify(authorization, user === '' ? undefined : user));
    }
    await purchase(exchange, ctx.defaultSaleId, userId, idempotencyKey);
  }, 'GET /buy/ticket');
  const workerHeader = String(ctx.workerSlot);
  const refusals = new PrebuiltRefusals(ctx.keeper);
  // The fast refusal's counts: plain numbers held here, read only when scraped.
  const buyTicketTally = ctx.metrics?.http.route('GET /buy/ticket');
  const defaultSaleRow = purchases?.row(ctx.defaultSaleId);
  app.get('/buy/ticket', (res, req) => {
    // Past the stock, a buyer is turned away here: no ledger call, no promise, no error object.
    if (!ctx.track.draining && req.getHeader('idempotency-key') === '') {
      const started = buyTicketTally ? performance.now() : 0;
      const refusal = refusals.for(ctx.defaultSaleId, Date.now());
      const user = req.getQuery('user');
      // Only where the slow path would not refuse first: a token to check, or an anonymous buyer the sale does not take.
      const wouldServe = ctx.buyerAuth.mode === 'none' && (user ? isValidBuyer(user) : ctx.keeper.sales.peek(ctx.defaultSaleId)?.anonymous === true);
      if (refusal && wouldServe) {
        ctx.track.count();
        sendPrebuilt(res, refusal.status, refusal.body, workerHeader, PrebuiltRefusals.retryAfter(refusal, Date.now()));
        if (buyTicketTally) {
          defaultSaleRow![refusal.status === 409 ? OUTCOME.sold_out : OUTCOME.not_open]!++;
          buyTicketTally.answered(refusal.status, (performance.now() - started) / 1000);
        }
        return;
      }
    }
    buyTicket(res, req);
  });

  app.get('/api/sales/:id/orders', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, "listing a sale's orders");
    const saleId = checkId('sale id', req.getParameter(0));
    const state: OrderState | undefined = checkOrderState(req.getQuery('state') ?? '');
    const cursor = checkCursor('cursor', req.getQuery('cursor') ?? '');
    const limit = checkLimit(req.getQuery('limit') ?? '', 100, 1000);
    await saleInLedger(saleId);
    const page = await ctx.ledger.listOrders(saleId, { state, cursor, limit });
    exchange.sendJson(200, { orders: page.orders.map(orderToJson), cursor: page.cursor });
  }));

  app.get('/api/sales/:id/audit', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, 'auditing a sale');
    const saleId = checkId('sale id', req.getParameter(0));
    const audit = await ctx.ledger.audit(saleId);
    if (!audit) throw spikeError('SALE_NOT_FOUND', { saleId });
    const tickets = await ctx.ledger.ticketCounts(saleId);
    const consistent = audit.sold === audit.orders.reserved + audit.orders.paid && audit.paid === audit.orders.paid && audit.sold <= audit.total && audit.buyersOverLimit === 0;
    exchange.sendJson(200, { saleId, ...audit, remaining: audit.total - audit.sold, consistent, tickets });
  }));

  app.get('/api/sales/:id/feed', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, "reading a sale's order feed");
    const saleId = checkId('sale id', req.getParameter(0));
    const after = checkPosition('after', req.getQuery('after') ?? '');
    const limit = checkLimit(req.getQuery('limit') ?? '', 100, 1000);
    await saleInLedger(saleId);
    const page = await ctx.ledger.readFeed(saleId, after, limit);
    exchange.sendJson(200, { events: page.events.map(feedEventToJson), last: page.last });
  }));
}
