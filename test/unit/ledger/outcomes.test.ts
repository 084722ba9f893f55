// The one outcome table: every outcome of every command is returned by its
// Lua script and answered by the HTTP layer with a complete message, and a
// reply the table does not name is refused as a bug.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { answerFor } from '../../../src/http/outcome-answers';
import { decodeReply, OUTCOMES, type Command, type OutcomeOf } from '../../../src/ledger';
import { LUA_DIR } from '../../../src/ledger/redis/scripts';

const SCRIPT: Record<Command, string> = {
  reserve: 'reserveTickets-8.lua',
  reserveTrip: 'reserveTrip-7.lua',
  pay: 'payOrder-6.lua',
  cancel: 'cancelOrder-6.lua',
  updateSale: 'updateSale-2.lua',
  closeSale: 'closeSale-2.lua',
  deleteSale: 'deleteSale-10.lua',
  checkIn: 'checkInTickets-3.lua',
  join: 'joinQueue-3.lua',
  retireSale: 'retireSale-13.lua',
};
const ORDER = { orderId: 's.o1', saleId: 's', userId: 'alice', state: 'reserved' as const, createdAt: 1000, expiresAt: 61_000, updatedAt: 1000 };
const SALE = { id: 's', name: 's', total: 10, sold: 3, paid: 1, perUserLimit: 2, holdSeconds: 60, opensAt: 5000, closesAt: null, createdAt: 1000 };
const SAMPLE: Record<string, unknown> = { order: ORDER, sale: SALE, sold: 3, total: 10, perUserLimit: 2, maxCancelsPerBuyer: 3, opensAt: 5000, closesAt: 9000, orders: 4, nextReleaseAt: 61_000, at: 7000, gate: 'north-1', pre: 1, number: 41, from: 1, to: 3, available: 7, full: 2 };

function luaOf(command: Command): string {
  // A batch script returns the outcomes of the include it runs per request.
  const perRequest = command === 'reserve' ? 'reserve-ticket' : command === 'checkIn' ? 'check-in' : null;
  const own = readFileSync(join(LUA_DIR, SCRIPT[command]), 'utf8') + (perRequest ? readFileSync(join(LUA_DIR, 'includes', `${perRequest}.lua`), 'utf8') : '');
  // Refusals shared by the order scripts live in their include.
  return command === 'reserve' || command === 'reserveTrip' || command === 'join' ? own : own + readFileSync(join(LUA_DIR, 'includes', 'orders.lua'), 'utf8');
}

for (const command of Object.keys(OUTCOMES) as Command[]) {
  describe(`the ${command} outcomes`, () => {
    for (const [kind, spec] of Object.entries(OUTCOMES[command])) {
      it(`${kind}: returned by ${SCRIPT[command]}, decoded, and answered`, () => {
        const byWorker = (spec as { byWorker?: true }).byWorker === true;
        assert.equal(new RegExp(`\\{'${kind}'[,}]`).test(luaOf(command)), !byWorker, `${SCRIPT[command]} ${byWorker ? 'returns' : 'never returns'} '${kind}'`);
        const fields = spec.fields as readonly string[];
        const reply = [kind, ...fields.map((field) => (field === 'order' || field === 'sale' ? JSON.stringify(SAMPLE[field]) : SAMPLE[field]))];
        const outcome = decodeReply(command, reply);
        assert.deepEqual(outcome, { kind, ...Object.fromEntries(fields.map((field) => [field, SAMPLE[field]])) });
        const answer = answerFor(command, outcome as OutcomeOf<typeof command>, { saleId: 's', userId: 'alice', orderId: 's.o1', ticketId: 'T-s.o1' });
        if ('error' in answer) {
          assert.equal('status' in spec, false, 'a refusal has no success status');
          assert.doesNotMatch(answer.error.message, /\{\w+\}/, `unfilled placeholder in "${answer.error.message}"`);
        } else {
          assert.equal(answer.status, (spec as { status: number }).status);
          // Joining answers an entry in line, not an order.
          if (fields.includes('order')) assert.deepEqual(answer.order, ORDER);
          assert.equal(answer.replayed, (spec as { replayed?: boolean }).replayed === true);
        }
      });
    }
  });
}

it('a reply the table does not name is a bug, never a guess', () => {
  assert.throws(() => decodeReply('reserve', ['reserved_twice']), /does not name: "reserved_twice"/);
  assert.throws(() => decodeReply('pay', [0, '{}']), /does not name: 0/);
});

it('a refusal says what happened, with the request and outcome values', () => {
  const limit = answerFor('reserve', { kind: 'limit_reached', perUserLimit: 2 }, { saleId: 'G1', userId: 'bob' });
  assert.ok('error' in limit);
  assert.equal(limit.error.message, 'buyer "bob" already holds 2 ticket(s) of sale "G1", the limit');
  const late = answerFor('pay', { kind: 'expired', order: ORDER }, { orderId: ORDER.orderId });
  assert.ok('error' in late);
  assert.equal(late.error.status, 409);
  assert.equal(late.error.message, 'order s.o1 expired at 1970-01-01T00:01:01.000Z unpaid; its ticket went back on sale');
});
