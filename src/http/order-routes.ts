// Orders: read one, pay a held one, cancel a held one. Paying and cancelling
// are allowed to the order's buyer (the token's, or {"userId"} in the body with
// BUYER_AUTH=none) or an admin.
import type { HttpRequest, TemplatedApp } from 'uWebSockets.js';
import { spikeError } from '../errors/errors';
import type { Actor } from '../ledger';
import { isAdmin, requireJsonContentType } from './handler';
import { answerFor, sendAnswer } from './outcome-answers';
import { parseJsonObject, readBody } from './read-body';
import type { Exchange } from './respond';
import type { RouteContext } from './route-context';
import { checkId, checkOrderId } from './validate';
import { orderToJson } from './views';

export function registerOrderRoutes(app: TemplatedApp, ctx: RouteContext): void {
  const { handle } = ctx;

  /** Reads who is acting on the order: the admin, or the buyer (the token's, or named in the body). */
  const actorOf = async (exchange: Exchange, req: HttpRequest): Promise<{ orderId: string; actor: Actor }> => {
    const orderId = checkOrderId(req.getParameter(0));
    const authorization = req.getHeader('authorization');
    const admin = isAdmin(authorization, ctx.adminToken);
    const contentType = req.getHeader('content-type');
    const body = await readBody(exchange, ctx.maxBodyBytes, req.getHeader('content-length'));
    if (admin && body.length === 0) return { orderId, actor: null };
    // With a buyer token the body may be empty: the token names the buyer.
    let fields: Record<string, unknown> = {};
    if (body.length > 0 || ctx.buyerAuth.mode === 'none') {
      requireJsonContentType(contentType);
      fields = parseJsonObject(body, '{"userId":"alice"}', ['userId']);
    }
    if (admin && fields.userId === undefined) return { orderId, actor: null };
    return { orderId, actor: checkId('userId', await ctx.buyerAuth.identify(authorization, fields.userId)) };
  };

  app.get('/api/orders/:orderId', handle(async (exchange, req) => {
    const orderId = checkOrderId(req.getParameter(0));
    const authorization = req.getHeader('authorization');
    // With buyer auth on, an order is shown to its buyer and the admin only.
    const buyer = ctx.buyerAuth.mode === 'none' || isAdmin(authorization, ctx.adminToken) ? null : await ctx.buyerAuth.identify(authorization, undefined);
    const order = await ctx.ledger.getOrder(orderId);
    if (!order) throw spikeError('ORDER_NOT_FOUND', { orderId });
    if (buyer !== null && order.userId !== buyer) throw spikeError('NOT_ORDER_OWNER');
    exchange.sendJson(200, orderToJson(order));
  }));

  app.post('/api/orders/:orderId/pay', handle(async (exchange, req) => {
    const { orderId, actor } = await actorOf(exchange, req);
    const outcome = await ctx.ledger.pay(orderId, actor, Date.now());
    // A payment that came too late released the hold itself: this worker may sell the ticket again.
    if (outcome.kind === 'expired') {
      ctx.keeper.stockReturned(outcome.order.saleId);
      ctx.trains?.released(outcome.order);
    }
    sendAnswer(exchange, answerFor('pay', outcome, { orderId }));
  }));

  app.post('/api/orders/:orderId/cancel', handle(async (exchange, req) => {
    const { orderId, actor } = await actorOf(exchange, req);
    const outcome = await ctx.ledger.cancel(orderId, actor, Date.now());
    if (outcome.kind === 'cancelled' || outcome.kind === 'expired') {
      ctx.keeper.stockReturned(outcome.order.saleId);
      ctx.trains?.released(outcome.order);
    }
    sendAnswer(exchange, answerFor('cancel', outcome, { orderId }));
  }));
}
