// The waiting room's HTTP routes: a proof-of-work challenge, joining the
// line, a buyer's place by their ticket (with the pass once admitted), and
// the published draw of the pre-queue once the sale has opened.
import type { TemplatedApp } from 'uWebSockets.js';
import { spikeError } from '../errors/errors';
import { parseJsonObject, readBody } from '../http/read-body';
import { requireJsonContentType } from '../http/handler';
import type { RouteContext } from '../http/route-context';
import { checkId } from '../http/validate';
import { saleWindow, type Sale } from '../ledger';
import { clientAddress } from './client-address';
import { SHUFFLE_ROUNDS } from './shuffle';

export function registerQueueRoutes(app: TemplatedApp, ctx: RouteContext): void {
  const { handle, admission } = ctx;
  const trustProxy = ctx.trustProxy;

  const queueSale = async (saleId: string): Promise<Sale> => {
    const sale = ctx.keeper.peekSale(saleId) ?? (await ctx.keeper.sales.get(saleId));
    if (!sale) throw spikeError('SALE_NOT_FOUND', { saleId });
    if (!sale.admission) throw spikeError('NOT_QUEUE_SALE', { saleId });
    return sale;
  };

  app.post('/api/sales/:id/queue', handle(async (exchange, req) => {
    const rawSaleId = req.getParameter(0);
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    const authorization = req.getHeader('authorization');
    const address = clientAddress(exchange.res, req, trustProxy);
    const body = await readBody(exchange, ctx.maxBodyBytes, contentLength);
    const saleId = checkId('sale id', rawSaleId);
    requireJsonContentType(contentType);
    const fields = parseJsonObject(body);
    // With BUYER_AUTH on, the place in line is the token's buyer's: nobody can take (or squat) another's.
    const userId = checkId('userId', await ctx.buyerAuth.identify(authorization, fields.userId));
    const sale = await queueSale(saleId);
    if (exchange.aborted) return;
    const { status, answer } = await admission.join(sale, userId, fields, address, Date.now());
    exchange.sendJson(status, answer);
  }));

  // One route for the ticket and the two fixed names beside it (tickets always hold a dot, the names never do).
  app.get('/api/sales/:id/queue/:ticket', handle(async (exchange, req) => {
    const saleId = checkId('sale id', req.getParameter(0));
    const ticket = req.getParameter(1);
    const sale = await queueSale(saleId);
    const now = Date.now();
    if (ticket === 'challenge') return exchange.sendJson(200, admission.challenge(sale, now));
    if (ticket === 'draw') return exchange.sendJson(200, drawRecord(sale, admission.board.status(saleId)?.pre ?? null, now));
    exchange.sendJson(200, admission.lookup(sale, ticket, now));
  }));
}

/** What anyone needs to recompute the pre-queue's order; the key only once the sale has opened. */
function drawRecord(sale: Sale, preQueue: number | null, now: number) {
  const open = saleWindow(sale, now) !== 'not_open';
  return {
    saleId: sale.id,
    opensAt: sale.opensAt === null ? null : new Date(sale.opensAt).toISOString(),
    drawn: open,
    preQueue,
    shuffleKey: open ? sale.admission!.shuffleKey : null,
    algorithm:
      `place(i) for pre-queue number i of n: a balanced Feistel network over the smallest even bit count b with 2^b >= n (b >= 2), ${SHUFFLE_ROUNDS} rounds; ` +
      'x splits into left = floor(x / 2^(b/2)) and right = x mod 2^(b/2); each round r: (left, right) = (right, left XOR (first 4 bytes of HMAC-SHA256(key bytes, "r:right" in decimal) as a big-endian uint32, mod 2^(b/2))); ' +
      'x = left * 2^(b/2) + right; repeat the network on x until x < n (cycle-walking). Places count from 0; the answer shows place + 1.',
  };
}
