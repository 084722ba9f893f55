// How sales and orders look on the wire: ISO times, derived figures, status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { feedEventToJson, orderToJson, saleToJson } from '../../../src/http/views';
import type { Sale } from '../../../src/ledger';

const T = Date.UTC(2030, 0, 1);
const sale = (over: Partial<Sale> = {}): Sale => ({ id: 's', name: 'S', total: 10, sold: 4, paid: 1, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null, createdAt: T, anonymous: false, maxCancelsPerBuyer: 3, ...over });

describe('saleToJson', () => {
  it('derives remaining and reserved, and writes times as ISO 8601', () => {
    const view = saleToJson(sale({ opensAt: T, closesAt: T + 3_600_000 }), T + 1);
    assert.equal(view.remaining, 6);
    assert.equal(view.reserved, 3);
    assert.equal(view.opensAt, '2030-01-01T00:00:00.000Z');
    assert.equal(view.closesAt, '2030-01-01T01:00:00.000Z');
  });
  const statuses: Array<[string, Partial<Sale>, number, string]> = [
    ['before opensAt', { opensAt: T + 1000 }, T, 'scheduled'],
    ['at opensAt', { opensAt: T }, T, 'open'],
    ['all sold', { sold: 10 }, T, 'sold_out'],
    ['at closesAt, even with stock left', { closesAt: T }, T, 'closed'],
    ['closed wins over sold out', { sold: 10, closesAt: T - 1 }, T, 'closed'],
    ['a window that is over wins over one not yet open', { opensAt: T + 5, closesAt: T - 5 }, T, 'closed'],
  ];
  for (const [what, over, now, status] of statuses) it(`status ${status} ${what}`, () => assert.equal(saleToJson(sale(over), now).status, status));
  it('never shows negative stock', () => assert.equal(saleToJson(sale({ total: 3, sold: 5 }), T).remaining, 0));
});

describe('orderToJson and feedEventToJson', () => {
  it('write times as ISO 8601, and no expiry as null', () => {
    const order = { orderId: 's.x', saleId: 's', userId: 'u', state: 'paid' as const, createdAt: T, expiresAt: null, updatedAt: T + 1 };
    assert.deepEqual(orderToJson(order), { ...order, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: null, updatedAt: '2030-01-01T00:00:00.001Z' });
    assert.deepEqual(feedEventToJson({ id: '1', orderId: 's.x', userId: 'u', state: 'reserved', at: T }), { id: '1', type: 'order', orderId: 's.x', userId: 'u', state: 'reserved', at: '2030-01-01T00:00:00.000Z' });
    assert.deepEqual(feedEventToJson({ id: '2', ticket: 'ticket_issued', orderId: 's.x', userId: 'u', at: T }), { id: '2', type: 'ticket_issued', orderId: 's.x', userId: 'u', at: '2030-01-01T00:00:00.000Z' });
    assert.deepEqual(feedEventToJson({ id: '3', ticket: 'checked_in', orderId: 's.x', userId: 'u', at: T, gate: 'north-1' }), { id: '3', type: 'checked_in', orderId: 's.x', userId: 'u', at: '2030-01-01T00:00:00.000Z', gate: 'north-1' });
  });
  it('a change to the sale itself is a "sale" event with the fields it set, times as ISO 8601', () => {
    assert.deepEqual(feedEventToJson({ id: '2', change: 'updated', changes: { total: 600, opensAt: T, closesAt: null }, at: T + 1 }), {
      id: '2',
      type: 'sale',
      change: 'updated',
      changes: { total: 600, opensAt: '2030-01-01T00:00:00.000Z', closesAt: null },
      at: '2030-01-01T00:00:00.001Z',
    });
  });
});
