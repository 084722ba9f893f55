// Trains: create (admin), read, buy a trip, the exact free seats of a trip
// (cached per worker), and the admin's seat audit. Paying and cancelling a
// train order are the order routes', as for any sale's order.
import type { TemplatedApp } from 'uWebSockets.js';
import { LedgerUnavailableError, spikeError } from '../errors/errors';
import { OUTCOME, outcomeIndex } from '../metrics';
import { requireAdmin, requireJsonContentType } from '../http/handler';
import { refusalFor } from '../http/outcome-answers';
import { parseJsonObject, readBody } from '../http/read-body';
import type { RouteContext } from '../http/route-context';
import { checkId, checkIdempotencyKey } from '../http/validate';
import { checkStationField, parseRoute, parseTrainSpec, TRAIN_FIELDS, TRIP_FIELDS } from './train-input';
import type { TrainKeeper } from './train-keeper';
import { isTrain, trainToJson, tripOrderToJson } from './train-views';

export function registerTrainRoutes(app: TemplatedApp, ctx: RouteContext, trains: TrainKeeper): void {
  const { handle } = ctx;
  const purchases = ctx.metrics?.purchases;

  const existingTrain = async (trainId: string) => {
    const train = await trains.train(trainId);
    if (!train) throw spikeError('TRAIN_NOT_FOUND', { saleId: trainId });
    return train;
  };

  app.post('/api/trains', handle(async (exchange, req) => {
    const authorization = req.getHeader('authorization');
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    requireAdmin(authorization, ctx.adminToken, 'creating a train');
    requireJsonContentType(contentType);
    const example = '{"id":"G1234-2026-12-01","stations":["A","B","C"],"seats":1000}';
    const spec = parseTrainSpec(parseJsonObject(await readBody(exchange, ctx.maxBodyBytes, contentLength), example, TRAIN_FIELDS));
    const sale = await ctx.ledger.createTrain(spec, Date.now());
    if (!sale || !isTrain(sale)) throw spikeError('SALE_EXISTS', { saleId: spec.id });
    trains.sales.remember(sale);
    exchange.sendJson(201, trainToJson(sale), { location: `/api/trains/${sale.id}` });
  }));

  app.get('/api/trains/:id', handle(async (exchange, req) => {
    const trainId = checkId('train id', req.getParameter(0));
    exchange.sendJson(200, trainToJson(await existingTrain(trainId)));
  }));

  app.post('/api/trains/:id/purchases', handle(async (exchange, req) => {
    const rawTrainId = req.getParameter(0);
    const contentType = req.getHeader('content-type');
    const contentLength = req.getHeader('content-length');
    const rawKey = req.getHeader('idempotency-key');
    const authorization = req.getHeader('authorization');
    const body = await readBody(exchange, ctx.maxBodyBytes, contentLength);
    const trainId = checkId('train id', rawTrainId);
    requireJsonContentType(contentType);
    const idempotencyKey = checkIdempotencyKey(rawKey);
    const fields = parseJsonObject(body, '{"userId":"alice","from":"B","to":"D"}', TRIP_FIELDS);
    const from = checkStationField('from', fields.from);
    const to = checkStationField('to', fields.to);
    const userId = checkId('userId', await ctx.buyerAuth.identify(authorization, fields.userId));
    const train = await existingTrain(trainId);
    const route = parseRoute(trainId, train.train, from, to);
    // A client that went away before its body arrived gets no reservation made in its name.
    if (exchange.aborted) return;
    let outcome;
    try {
      outcome = await trains.purchase(trainId, userId, idempotencyKey, route.from, route.to);
    } catch (error) {
      if (purchases && error instanceof LedgerUnavailableError) purchases.add(trainId, OUTCOME.unavailable);
      throw error;
    }
    // Counted as a sale's purchases are, under the train's id (bounded: the train exists).
    const counted = purchases ? outcomeIndex(outcome.kind) : undefined;
    if (counted !== undefined) purchases!.add(trainId, counted);
    const refusal = refusalFor('reserveTrip', outcome, { saleId: trainId, userId, from, to });
    if (refusal) {
      if (outcome.kind === 'sold_out') refusal.details = { ...refusal.details, from, to };
      throw refusal;
    }
    if (outcome.kind !== 'reserved' && outcome.kind !== 'replayed') throw new Error(`a train purchase answered ${outcome.kind} without a refusal`);
    exchange.sendJson(201, tripOrderToJson(outcome.order, train.train), outcome.kind === 'replayed' ? { 'idempotent-replayed': 'true' } : undefined);
  }));

  app.get('/api/trains/:id/availability', handle(async (exchange, req) => {
    const rawTrainId = req.getParameter(0);
    const from = checkStationField('from', req.getQuery('from') ?? '');
    const to = checkStationField('to', req.getQuery('to') ?? '');
    const trainId = checkId('train id', rawTrainId);
    const train = await existingTrain(trainId);
    const route = parseRoute(trainId, train.train, from, to);
    const { available, asOf } = await trains.availability(trainId, route.from, route.to);
    // Deleted between the view and the read.
    if (available === null) throw spikeError('TRAIN_NOT_FOUND', { saleId: trainId });
    exchange.sendJson(200, { from, to, available, asOf: new Date(asOf).toISOString() });
  }));

  app.get('/api/trains/:id/audit', handle(async (exchange, req) => {
    requireAdmin(req.getHeader('authorization'), ctx.adminToken, 'auditing a train');
    const trainId = checkId('train id', req.getParameter(0));
    const [seats, orders] = await Promise.all([ctx.ledger.auditTrain(trainId), ctx.ledger.audit(trainId)]);
    if (!seats || !orders) throw spikeError('TRAIN_NOT_FOUND', { saleId: trainId });
    const consistent = seats.mismatched === 0 && orders.sold === orders.orders.reserved + orders.orders.paid && orders.buyersOverLimit === 0;
    exchange.sendJson(200, { trainId, ...seats, orders: orders.orders, sold: orders.sold, buyersOverLimit: orders.buyersOverLimit, consistent });
  }));
}
