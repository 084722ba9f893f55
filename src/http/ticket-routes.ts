// Tickets over HTTP: the public key gates verify with, a paid order's
// ticket (JSON or its QR code as SVG/PNG, signed and drawn in the worker's
// render pool), and the gates' check-in, which verifies the signature here
// and lets the ledger admit each ticket once; a re-scan of a ticket this
// worker remembers skips the verification, and once the ledger has said it
// was used, the ledger call too.
import type { TemplatedApp } from 'uWebSockets.js';
import { isoTime, spikeError } from '../errors/errors';
import { ticketPayload, TicketInvalidError, type ScannedTicket, type TicketFormat, type TicketPayload, type TicketUse } from '../tickets';
import { isAdmin, requireJsonContentType } from './handler';
import { answerFor } from './outcome-answers';
import { parseJsonObject, readBody } from './read-body';
import type { RouteContext } from './route-context';
import { checkId, checkOrderId } from './validate';


/** A check-in that names no gate is recorded as from this one. */
export const UNNAMED_GATE = 'unnamed';

const FORMATS: readonly TicketFormat[] = ['json', 'svg', 'png'];

/** ?format wins; otherwise the Accept header may ask for an image; JSON by default. */
export function ticketFormat(query: string, accept: string): TicketFormat {
  if (query !== '') {
    if (!(FORMATS as readonly string[]).includes(query)) throw spikeError('INVALID_FIELD', { field: 'format', allowed: `one of ${FORMATS.join(', ')}` });
    return query as TicketFormat;
  }
  if (/\bimage\/png\b/i.test(accept)) return 'png';
  if (/\bimage\/svg\+xml\b/i.test(accept)) return 'svg';
  return 'json';
}

function ticketJson(payload: TicketPayload, ticket: string) {
  return { ticketId: payload.ticketId, orderId: payload.orderId, saleId: payload.saleId, userId: payload.userId, issuedAt: isoTime(payload.issuedAt), ticket };
}

/**
 * The 409 for a ticket already admitted, the same whether the ledger said so
 * just now or this worker remembers it: the outcome table's already_used
 * refusal (TICKET_ALREADY_USED), with when and at which gate.
 */
export function alreadyUsedBody(payload: TicketPayload, use: TicketUse) {
  const usedAt = isoTime(use.at);
  const error = spikeError('TICKET_ALREADY_USED', { ticketId: payload.ticketId, usedAt, gate: use.gate });
  return { ...error.toJSON(), admitted: false, ticketId: payload.ticketId, orderId: payload.orderId, usedAt, gate: use.gate };
}

export function registerTicketRoutes(app: TemplatedApp, ctx: RouteContext): void {
  const { handle, tickets } = ctx;

  app.get('/api/tickets/public-key', handle((exchange) => {
    exchange.sendText(200, tickets.publicKeyPem, 'application/x-pem-file', { 'cache-control': 'public, max-age=300' });
  }));

  app.get('/api/orders/:orderId/ticket', handle(async (exchange, req) => {
    const orderId = checkOrderId(req.getParameter(0));
    const authorization = req.getHeader('authorization');
    const admin = isAdmin(authorization, ctx.adminToken);
    const user = req.getQuery('userId') ?? '';
    const format = ticketFormat(req.getQuery('format') ?? '', req.getHeader('accept'));
    // The buyer names themself in the query (?userId=), or with BUYER_AUTH on by their token; the admin may leave both out.
    const actor =
      admin && user === '' ? null
      : ctx.buyerAuth.mode === 'none' ? checkId('userId', user)
      : checkId('userId', await ctx.buyerAuth.identify(authorization, user === '' ? undefined : user));
    const order = await ctx.ledger.getOrder(orderId);
    if (!order) throw spikeError('ORDER_NOT_FOUND', { orderId });
    if (actor !== null && actor !== order.userId) throw spikeError('NOT_ORDER_OWNER');
    if (order.state !== 'paid') throw spikeError('ORDER_NOT_PAID', { orderId, state: order.state });
    const sale = await ctx.keeper.sales.get(order.saleId);
    if (!sale) throw spikeError('SALE_NOT_FOUND', { saleId: order.saleId });
    if (exchange.aborted) return;
    const payload = ticketPayload(order, sale);
    const rendered = await tickets.renderer.render({ payload, format });
    if (format === 'json') {
      exchange.sendJson(200, ticketJson(payload, rendered.ticket));
      return;
    }
    exchange.sendText(200, rendered.image!, format === 'png' ? 'image/png' : 'image/svg+xml', { 'x-ticket-id': payload.ticketId });
  }));

  app.post('/api/checkins', handle(async (exchange, req) => {
    const authorization = req.getHeader('authorization');
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    const gateAllowed = isAdmin(authorization, ctx.adminToken) || (tickets.gateToken !== undefined && isAdmin(authorization, tickets.gateToken));
    if (!gateAllowed) throw spikeError('GATE_UNAUTHORIZED');
    requireJsonContentType(contentType);
    const fields = parseJsonObject(await readBody(exchange, ctx.maxBodyBytes, contentLength));
    const gate = fields.gate === undefined ? UNNAMED_GATE : checkId('gate', fields.gate);
    let scanned: ScannedTicket;
    try {
      // Ed25519 verification takes tens of microseconds: cheaper here than a hop to a render thread,
      // and done once per ticket string this worker remembers.
      scanned = tickets.checkins.scan(fields.ticket);
    } catch (error) {
      if (error instanceof TicketInvalidError) throw spikeError('TICKET_INVALID', { reason: error.message });
      throw error;
    }
    const { payload } = scanned;
    if (scanned.use !== undefined) {
      // An admission never moves while its sale is in the ledger; retirement removes the sale with its
      // check-ins, and this worker's view of the sale hears of it (announced, and re-read every SALE_VIEW_TTL_MS).
      if ((await ctx.keeper.sales.get(payload.saleId)) !== null) {
        if (exchange.aborted) return;
        exchange.sendJsonText(409, (scanned.refusal ??= JSON.stringify(alreadyUsedBody(payload, scanned.use))));
        return;
      }
      tickets.checkins.forget(fields.ticket as string);
    }
    if (exchange.aborted) return;
    const outcome = await ctx.ledger.checkIn({ orderId: payload.orderId, userId: payload.userId, gate, now: Date.now() });
    if (outcome.kind === 'admitted' || outcome.kind === 'already_used') {
      scanned.use = { at: outcome.at, gate: outcome.gate };
      tickets.sharing.tell(fields.ticket as string, scanned.use);
    }
    if (outcome.kind === 'admitted') {
      exchange.sendJson(200, { admitted: true, ...ticketJson(payload, fields.ticket as string), saleName: payload.saleName, gate: outcome.gate, checkedInAt: isoTime(outcome.at) });
      return;
    }
    if (outcome.kind === 'already_used') {
      exchange.sendJsonText(409, (scanned.refusal = JSON.stringify(alreadyUsedBody(payload, outcome))));
      return;
    }
    const answer = answerFor('checkIn', outcome, { ticketId: payload.ticketId, orderId: payload.orderId });
    if (!('error' in answer)) throw new Error(`check-in outcome ${outcome.kind} has no refusal`);
    exchange.sendJson(answer.error.status, { ...answer.error.toJSON(), admitted: false, ticketId: payload.ticketId, orderId: payload.orderId });
  }));
}
