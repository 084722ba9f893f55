// The model-based property test: random sequences of create, reserve, pay,
// cancel, clock advance and sweep run against a real ledger and against
// ReferenceLedger, which must agree on every answer and every order after
// every step, with the invariants of DESIGN.md checked on the ledger's own
// figures. Seeded; a failure prints the seed and path that replay it.
//
// Used by test/contract (the embedded ledger and Redis) and test/unit (the
// embedded ledger without fsync). Knobs: TEST_MODEL_RUNS (runs per ledger,
// default 60), TEST_MODEL_STEPS (most steps per run, default 40),
// TEST_MODEL_SEED and TEST_MODEL_PATH (replay a failure).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { after, it } from 'node:test';
import fc from 'fast-check';
import type { Ledger, Order, OrderPage, SaleSpec, SeatChoice, TrainSpec } from '../../src/ledger';
import { EmbeddedLedger } from '../../src/ledger/embedded/embedded-ledger';
import { ReferenceLedger, type Answer } from './reference-ledger';
import { tempDir } from './temp-dir';

/** A ledger for one run; `restart` (embedded only) reopens it from its journal. */
export interface ModelTarget {
  readonly ledger: Ledger;
  restart?(): Promise<Ledger>;
  close(): Promise<void>;
}

const USERS = ['u0', 'u1', 'u2', 'u3'];
const KEYS = 6;
/** The run's clock starts here and moves only by `advance` steps: the ledgers' own `now` arguments, never the wall clock. */
const T0 = 1_800_000_000_000;

type CreateStep = { op: 'create'; total: number; perUserLimit: number; holdSeconds: number; opensIn: number | null; closesIn: number | null };
type TrainStep = { op: 'createTrain'; stations: number; seats: number; perUserLimit: number; holdSeconds: number; seatChoice: SeatChoice; quota: { seats: number; minSegments: number; releaseIn: number } | null };
type Step =
  | CreateStep
  | TrainStep
  | { op: 'reserveTrip'; sale: number; user: number; key: number; from: number; span: number }
  | { op: 'recreate'; sale: number }
  | { op: 'reserve'; sale: number; user: number; key: number }
  | { op: 'pay' | 'cancel'; order: number; actor: 'owner' | 'other' | 'admin' }
  | { op: 'advance'; ms: number }
  | { op: 'sweep'; sale: number; limit: number };

const createStep: fc.Arbitrary<CreateStep> = fc.record({
  op: fc.constant('create' as const),
  total: fc.integer({ min: 0, max: 5 }),
  perUserLimit: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 8, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  holdSeconds: fc.constantFrom(0, 1, 2),
  opensIn: fc.option(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -1000, max: 0 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }) }), { nil: null, freq: 2 }),
  closesIn: fc.option(fc.integer({ min: 0, max: 9000 }), { nil: null, freq: 2 }),
});

/** `sale` and `order` index what the run has made so far, modulo its size; sale NEVER names a sale never created, order GHOST an order never made. */
const NEVER = 7;
const GHOST = 20;
/** Small trains (2-5 stations, 1-3 seats), so trips collide, fragment and sell out within a run. */
const trainStep: fc.Arbitrary<TrainStep> = fc.record({
  op: fc.constant('createTrain' as const),
  stations: fc.integer({ min: 2, max: 5 }),
  seats: fc.integer({ min: 1, max: 3 }),
  perUserLimit: fc.integer({ min: 1, max: 3 }),
  holdSeconds: fc.constantFrom(0, 1, 2),
  seatChoice: fc.constantFrom('best-fit' as const, 'first-fit' as const),
  // A quota on the last seats for trips of 2+ segments, released within the run's clock now and then.
  quota: fc.option(fc.record({ seats: fc.integer({ min: 1, max: 2 }), minSegments: fc.integer({ min: 2, max: 3 }), releaseIn: fc.integer({ min: 0, max: 3000 }) }), { nil: null, freq: 2 }),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: createStep },
  { weight: 2, arbitrary: trainStep },
  // `sale` indexes the run's trains (NEVER: an id never created, a plain sale when there is no train yet).
  // from is taken modulo the train's stations and to = from + span: mostly trips on the train, and
  // bad routes (to past the end, to <= from) now and then.
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constant('reserveTrip' as const),
      sale: fc.nat(NEVER),
      user: fc.nat(USERS.length - 1),
      key: fc.nat(KEYS - 1),
      from: fc.nat(4),
      span: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 0 }) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('recreate' as const), sale: fc.nat(NEVER) }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('reserve' as const), sale: fc.nat(NEVER), user: fc.nat(USERS.length - 1), key: fc.nat(KEYS - 1) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constantFrom('pay' as const, 'cancel' as const), order: fc.nat(GHOST), actor: fc.constantFrom('owner' as const, 'owner' as const, 'other' as const, 'admin' as const) }) },
  // Exact hold boundaries (999, 1000) come up often; a ledger that expires a millisecond early or late disagrees there.
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.constantFrom(0, 1, 999, 1000), fc.integer({ min: 0, max: 2500 })) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('sweep' as const), sale: fc.nat(NEVER), limit: fc.integer({ min: 1, max: 3 }) }) },
);

function whole(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got "${text}"`);
  return value;
}

const runTag = randomBytes(3).toString('hex');
let runs = 0;

/** One run: the steps against a fresh target and a fresh model, compared after every step. */
async function runSteps(target: ModelTarget, first: CreateStep | TrainStep, steps: readonly Step[], seen: Map<string, number>): Promise<void> {
  let ledger = target.ledger;
  const model = new ReferenceLedger();
  const tag = `m${runTag}-${runs++}`;
  const sales: string[] = [];
  const trains: string[] = [];
  const orders: string[] = [];
  let now = T0;
  let made = 0;
  const log: string[] = [];
  const saleAt = (i: number) => (i === NEVER ? `${tag}-never` : sales[i % sales.length]!);

  const same = (what: string, actual: unknown, expected: unknown) => {
    assert.deepEqual(actual, expected, `${what} differs from the model after:\n  ${log.join('\n  ')}`);
    // A tally of what the runs exercised, printed with the result, so a generator that stops reaching an outcome shows.
    const kind = (expected as { kind?: string } | null)?.kind;
    const label = kind !== undefined ? `${what} ${kind}` : what === 'expireHolds' ? `expireHolds ${Math.min(Number(expected), 2)}${Number(expected) >= 2 ? '+' : ''}` : null;
    if (label) seen.set(label, (seen.get(label) ?? 0) + 1);
  };

  async function checkSale(saleId: string): Promise<void> {
    const [sale, audit] = await Promise.all([ledger.getSale(saleId), ledger.audit(saleId)]);
    same(`getSale(${saleId})`, sale, model.getSale(saleId));
    same(`audit(${saleId})`, audit, model.audit(saleId));
    if (!audit || !sale) return;
    // The invariants, on the ledger's own figures (the model could share a mistake).
    assert.ok(audit.sold <= audit.total, `oversold: ${JSON.stringify(audit)}`);
    assert.equal(audit.sold, audit.orders.reserved + audit.orders.paid, `sold is not held + paid orders: ${JSON.stringify(audit)}`);
    assert.equal(audit.paid, audit.orders.paid, `paid counter disagrees with paid orders: ${JSON.stringify(audit)}`);
    assert.equal(audit.buyersOverLimit, 0, `a buyer holds more than perUserLimit: ${JSON.stringify(audit)}`);
    assert.equal(sale.sold, audit.sold);
    if (sale.train) {
      // Every trip's exact availability, each segment's, and the seat audit.
      const stops = sale.train.stations.length;
      for (let from = 0; from < stops; from++) {
        for (let to = from + 1; to < stops; to++) same(`tripAvailability(${saleId}, ${from}, ${to})`, await ledger.tripAvailability(saleId, from, to, now), model.tripAvailability(saleId, from, to, now));
      }
      same(`segmentAvailability(${saleId})`, await ledger.segmentAvailability(saleId), model.segmentAvailability(saleId));
      const seats = await ledger.auditTrain(saleId);
      assert.equal(seats?.mismatched, 0, `seat audit of ${saleId}: ${JSON.stringify(seats)}`);
    }
    // Every order, through listOrders (one call, whatever the count); Redis pages in hash order, so sort by id.
    const expected = [...model.ordersOf(saleId)].sort(byId);
    same(`orders of ${saleId}`, (await listAllOrders(ledger, saleId)).sort(byId), expected);
  }

  async function create(s: CreateStep): Promise<void> {
    const id = `${tag}-s${sales.length}`;
    const spec: SaleSpec = {
      id,
      name: id,
      total: s.total,
      perUserLimit: s.perUserLimit,
      holdSeconds: s.holdSeconds,
      opensAt: s.opensIn === null ? null : now + s.opensIn,
      closesAt: s.closesIn === null ? null : now + s.closesIn,
    };
    log.push(`create ${JSON.stringify(spec)} at +${now - T0}`);
    same('createSale', await ledger.createSale(spec, now), model.createSale(spec, now));
    sales.push(id);
  }

  async function createTrain(s: TrainStep): Promise<void> {
    const id = `${tag}-s${sales.length}`;
    const quotaSeats = s.quota ? Math.min(s.quota.seats, s.seats) : 0;
    const quotas = s.quota ? [{ firstSeat: s.seats - quotaSeats, seats: quotaSeats, minSegments: s.quota.minSegments, releaseAt: now + s.quota.releaseIn }] : undefined;
    const spec: TrainSpec = { id, stations: ['A', 'B', 'C', 'D', 'E'].slice(0, s.stations), seats: s.seats, perUserLimit: s.perUserLimit, holdSeconds: s.holdSeconds, opensAt: null, closesAt: null, seatChoice: s.seatChoice, ...(quotas ? { quotas } : {}) };
    log.push(`createTrain ${JSON.stringify(spec)} at +${now - T0}`);
    same('createTrain', await ledger.createTrain(spec, now), model.createTrain(spec, now));
    sales.push(id);
    trains.push(id);
  }

  if (first.op === 'create') await create(first);
  else await createTrain(first);
  for (const s of steps) {
    let touched: string | null = null;
    switch (s.op) {
      case 'create':
        await create(s);
        touched = sales.at(-1)!;
        break;
      case 'createTrain':
        await createTrain(s);
        touched = sales.at(-1)!;
        break;
      case 'reserveTrip': {
        const saleId = (touched = s.sale === NEVER || trains.length === 0 ? saleAt(s.sale) : trains[s.sale % trains.length]!);
        const userId = USERS[s.user]!;
        const requestKey = `k:${s.key}`;
        const orderId = `${saleId}.o${String(made++).padStart(4, '0')}`;
        const stops = model.getSale(saleId)?.train?.stations.length ?? 2;
        const from = s.from % stops;
        const to = from + s.span;
        log.push(`reserveTrip ${saleId} ${userId} ${requestKey} ${from}->${to} at +${now - T0}`);
        const expected = model.reserveTrip(saleId, userId, requestKey, orderId, now, from, to);
        same('reserveTrip', await ledger.reserveTrip({ saleId, userId, requestKey, orderId, now, from, to }), expected);
        if (expected.kind === 'reserved') orders.push(orderId);
        break;
      }
      case 'recreate': {
        const saleId = (touched = sales[s.sale % sales.length]!);
        const spec: SaleSpec = { id: saleId, name: 'again', total: 99, perUserLimit: 9, holdSeconds: 0, opensAt: null, closesAt: null };
        log.push(`create again ${saleId}`);
        same('createSale of an existing id', await ledger.createSale(spec, now), model.createSale(spec, now));
        break;
      }
      case 'reserve': {
        const saleId = (touched = saleAt(s.sale));
        const userId = USERS[s.user]!;
        const requestKey = `k:${s.key}`;
        // Zero-padded, so the order ids sort in purchase order (Redis breaks expiry ties by id, the embedded heap by purchase).
        const orderId = `${saleId}.o${String(made++).padStart(4, '0')}`;
        log.push(`reserve ${saleId} ${userId} ${requestKey} at +${now - T0}`);
        const expected = model.reserve(saleId, userId, requestKey, orderId, now);
        same('reserve', await ledger.reserve({ saleId, userId, requestKey, orderId, now }), expected);
        if (expected.kind === 'reserved') orders.push(orderId);
        same('findByRequestKey', await ledger.findByRequestKey(saleId, requestKey), model.findByRequestKey(saleId, requestKey));
        break;
      }
      case 'pay':
      case 'cancel': {
        // With no order yet, or now and then, an id no sale made.
        const orderId = orders.length === 0 || s.order === GHOST ? `${sales[0]}.ghost` : orders[s.order % orders.length]!;
        touched = orderId.slice(0, orderId.indexOf('.'));
        const owner = model.getOrder(orderId)?.userId ?? 'u0';
        const actor = s.actor === 'admin' ? null : s.actor === 'owner' ? owner : USERS[(USERS.indexOf(owner) + 1) % USERS.length]!;
        log.push(`${s.op} ${orderId} by ${actor ?? 'admin'} at +${now - T0}`);
        const expected: Answer = s.op === 'pay' ? model.pay(orderId, actor, now) : model.cancel(orderId, actor, now);
        same(s.op, await (s.op === 'pay' ? ledger.pay(orderId, actor, now) : ledger.cancel(orderId, actor, now)), expected);
        break;
      }
      case 'advance':
        now += s.ms;
        log.push(`advance ${s.ms} ms`);
        break;
      case 'sweep': {
        const saleId = (touched = saleAt(s.sale));
        log.push(`expireHolds ${saleId} limit ${s.limit} at +${now - T0}`);
        same('expireHolds', await ledger.expireHolds(saleId, now, s.limit), model.expireHolds(saleId, now, s.limit));
        break;
      }
    }
    // Only the step's own sale can have changed; the run's end checks them all.
    if (touched !== null && sales.includes(touched)) await checkSale(touched);
  }

  for (const saleId of sales) {
    await checkSale(saleId);
    same(`feed of ${saleId}`, await readWholeFeed(ledger, saleId), model.feedOf(saleId));
  }
  if (target.restart) {
    // What the journal rebuilds is what was answered.
    ledger = await target.restart();
    log.push('restart from the journal');
    for (const saleId of sales) await checkSale(saleId);
  }
}

const byId = (a: Order, b: Order) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);

async function listAllOrders(ledger: Ledger, saleId: string): Promise<Order[]> {
  const orders: Order[] = [];
  let cursor: string | null = null;
  do {
    const page: OrderPage = await ledger.listOrders(saleId, { cursor, limit: 100 });
    orders.push(...page.orders);
    cursor = page.cursor;
  } while (cursor !== null);
  return orders;
}

async function readWholeFeed(ledger: Ledger, saleId: string): Promise<unknown[]> {
  const events: unknown[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await ledger.readFeed(saleId, after, 50);
    if (page.events.length === 0) return events;
    // The model changes no sale after creating it, so the feed holds order events only.
    events.push(...page.events.map((event) => ('state' in event ? { orderId: event.orderId, userId: event.userId, state: event.state, at: event.at } : event)));
    after = page.last;
  }
}

/**
 * One embedded ledger for every run of the test file (each run's sales have
 * ids of their own), reopened from its journal at the end of each run: the
 * replay must rebuild what was answered. One journal, not one per run, since
 * creating a journal costs two fsyncs.
 */
export function sharedEmbeddedTarget(fsync: 'batch' | 'off'): () => Promise<ModelTarget> {
  const dataDir = tempDir('spike-model-');
  let ledger: EmbeddedLedger | undefined;
  after(async () => ledger?.close());
  return async () => {
    ledger ??= EmbeddedLedger.open({ dataDir, fsync });
    return {
      ledger,
      async restart() {
        await ledger!.close();
        ledger = EmbeddedLedger.open({ dataDir, fsync });
        return ledger;
      },
      close: async () => {},
    };
  };
}

/** Registers the property as one test; `open` makes the target of one run. */
export function modelTest(name: string, open: () => Promise<ModelTarget>): void {
  it(`agrees with the reference model on random command sequences: ${name}`, async (t) => {
    const seen = new Map<string, number>();
    const params: fc.Parameters<[CreateStep | TrainStep, Step[]]> = {
      numRuns: whole('TEST_MODEL_RUNS', 60),
      seed: process.env.TEST_MODEL_SEED ? Number(process.env.TEST_MODEL_SEED) : undefined,
      path: process.env.TEST_MODEL_PATH || undefined,
      endOnFailure: Boolean(process.env.TEST_MODEL_PATH),
    };
    // A run starts with a sale or a train, so trips get whole runs to collide in.
    const property = fc.asyncProperty(fc.oneof(createStep, trainStep), fc.array(step, { maxLength: whole('TEST_MODEL_STEPS', 40), size: 'max' }), async (first, steps) => {
      const target = await open();
      try {
        await runSteps(target, first, steps, seen);
      } finally {
        await target.close();
      }
    });
    const details = await fc.check(property, params);
    t.diagnostic(`${details.numRuns} run(s), seed ${details.seed}; answers seen: ${[...seen].sort().map(([label, n]) => `${label} ${n}`).join(', ')}`);
    if (details.failed) {
      const file = relative(process.cwd(), process.argv[1] ?? 'dist/test/contract/ledger-model.test.js');
      const replay = `Replay this failure: TEST_MODEL_SEED=${details.seed} TEST_MODEL_PATH='${details.counterexamplePath}' node --test ${file}`;
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`${fc.defaultReportMessage(details)}\n\nThe shrunk counterexample failed with: ${cause}\n\n${replay}`);
    }
  });
}
