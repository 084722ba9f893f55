// The worker's memory of scanned tickets on its own: a ticket string is
// verified once while remembered, one that fails is never remembered, the
// least recently scanned is forgotten first, a recorded use stays with the
// ticket until it is forgotten, and uses shared by other workers are learned
// without a verification.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { CheckinMemory, CheckinSharing, signTicket, ticketPayload, TicketInvalidError, verifyTicket, type TicketPayload } from '../../../src/tickets';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const sale = { name: 'The Show', opensAt: null, closesAt: null };
const tickets = Array.from({ length: 5 }, (_, i) => signTicket(ticketPayload({ orderId: `show.order${i}`, saleId: 'show', userId: `fan-${i}`, updatedAt: 1_800_000_000_000 + i }, sale), privateKey));

/** A memory that counts the verifications it makes. */
function counting(capacity: number) {
  const verified: string[] = [];
  const memory = new CheckinMemory(publicKey, capacity, (ticket: unknown, key: KeyObject): TicketPayload => {
    verified.push(String(ticket));
    return verifyTicket(ticket, key);
  });
  return { memory, verified };
}

describe('the check-in memory', () => {
  it('verifies a ticket string once while it is remembered, and gives the same entry back', () => {
    const { memory, verified } = counting(10);
    const first = memory.scan(tickets[0]);
    assert.deepEqual(first.payload, verifyTicket(tickets[0], publicKey));
    assert.equal(first.use, undefined);
    for (let i = 0; i < 5; i++) assert.equal(memory.scan(tickets[0]), first);
    assert.deepEqual(verified, [tickets[0]]);
    assert.equal(memory.size, 1);
  });

  it('verifies again, and refuses, every scan of a ticket that does not verify; none is remembered', () => {
    const { memory, verified } = counting(10);
    const [body, signature] = tickets[0]!.split('.') as [string, string];
    const flipped = `${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    for (const bad of [flipped, flipped, 'not-a-ticket', 42, undefined]) assert.throws(() => memory.scan(bad), TicketInvalidError);
    assert.equal(verified.length, 5);
    assert.equal(memory.size, 0);
    // Another key's ticket for the same order is another string: it is verified, and refused.
    memory.scan(tickets[0]);
    assert.throws(() => memory.scan(signTicket(verifyTicket(tickets[0], publicKey), generateKeyPairSync('ed25519').privateKey)), /does not verify/);
    assert.equal(memory.size, 1);
  });

  it('forgets the least recently scanned ticket first, and holds at most its capacity', () => {
    const { memory, verified } = counting(3);
    for (const ticket of tickets.slice(0, 3)) memory.scan(ticket);
    memory.scan(tickets[0]); // now the most recent: tickets[1] is the oldest
    memory.scan(tickets[3]);
    assert.equal(memory.size, 3);
    verified.length = 0;
    for (const i of [0, 2, 3]) memory.scan(tickets[i]);
    assert.deepEqual(verified, [], 'tickets 0, 2 and 3 are still remembered');
    memory.scan(tickets[1]);
    assert.deepEqual(verified, [tickets[1]], 'ticket 1 was forgotten, so it is verified again');
    assert.equal(memory.size, 3);
  });

  it('keeps a recorded use and its answer with the ticket, until the ticket is forgotten', () => {
    const { memory, verified } = counting(10);
    const scanned = memory.scan(tickets[2]);
    scanned.use = { at: 1_800_000_100_000, gate: 'north-1' };
    scanned.refusal = '{"error":{}}';
    assert.deepEqual(memory.scan(tickets[2]).use, { at: 1_800_000_100_000, gate: 'north-1' });
    assert.equal(memory.scan(tickets[2]).refusal, '{"error":{}}');
    memory.forget(tickets[2]!);
    const again = memory.scan(tickets[2]);
    assert.equal(again.use, undefined);
    assert.equal(verified.length, 2);
  });

  it('remembers nothing with capacity 0: every scan is verified', () => {
    const { memory, verified } = counting(0);
    for (let i = 0; i < 3; i++) assert.equal(memory.scan(tickets[4]).use, undefined);
    assert.equal(verified.length, 3);
    assert.equal(memory.size, 0);
  });

  it("learns another worker's uses without verifying, and never overwrites a use it holds", () => {
    const { memory, verified } = counting(10);
    memory.learn(tickets[1]!, { at: 5, gate: 'west-2' });
    const learned = memory.scan(tickets[1]);
    assert.deepEqual(verified, [], 'a shared use needs no verification here');
    assert.deepEqual(learned.payload, verifyTicket(tickets[1], publicKey));
    assert.deepEqual(learned.use, { at: 5, gate: 'west-2' });
    memory.learn(tickets[1]!, { at: 6, gate: 'other' });
    assert.deepEqual(memory.scan(tickets[1]).use, { at: 5, gate: 'west-2' });
    const none = counting(0);
    none.memory.learn(tickets[1]!, { at: 5, gate: 'west-2' });
    assert.equal(none.memory.size, 0);
  });

  it("sends this worker's uses in one message per turn, and teaches them to another worker's memory", async () => {
    const here = counting(10);
    const there = counting(10);
    const sent: unknown[] = [];
    const sharing = new CheckinSharing(here.memory, (message) => sent.push(message), 1);
    const theirs = new CheckinSharing(there.memory, () => assert.fail('nothing to send'));
    sharing.tell(tickets[0]!, { at: 1, gate: 'a' });
    sharing.tell(tickets[3]!, { at: 2, gate: 'b' });
    assert.equal(sent.length, 0, 'gathered, not sent at once');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(sent, [{ spike: 'checkins-seen', uses: [[tickets[0], 1, 'a'], [tickets[3], 2, 'b']] }]);
    theirs.learn(sent[0] as never);
    assert.deepEqual(there.memory.scan(tickets[3]).use, { at: 2, gate: 'b' });
    assert.deepEqual(there.verified, []);
  });
});
