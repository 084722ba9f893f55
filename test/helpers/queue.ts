// Test helpers for queue sales: create one, join its line (solving the proof
// of work when the sale asks for one), look up a ticket, buy with a pass, and
// sign tokens with the test servers' known ADMISSION_SECRET (for forged and
// expired passes and challenges).
import assert from 'node:assert/strict';
import { AdmissionTokens } from '../../src/admission/passes';
import { solve } from '../../src/admission/proof-of-work';
import { request, type Reply } from './client';
import { ADMIN_TOKEN } from './server';

export const ADMISSION_SECRET = 'test-admission-secret-0123456789';
export const tokens = new AdmissionTokens(ADMISSION_SECRET);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export async function createQueueSale(url: string, id: string, sale: Record<string, unknown>, admission: Record<string, unknown>): Promise<void> {
  const reply = await request(`${url}/api/sales`, { method: 'POST', headers: admin, body: { id, ...sale, admission: { mode: 'queue', difficulty: 0, ...admission } } });
  assert.equal(reply.status, 201, reply.text);
}

/**
 * Moves a sale's opening to `inMs` from now, as an operator would (PATCH
 * opensAt): a test gives the steps before opening room on a busy machine,
 * then opens as soon as they are done instead of waiting out that room.
 */
export async function openSaleSoon(url: string, id: string, inMs = 1000): Promise<void> {
  const reply = await request(`${url}/api/sales/${id}`, { method: 'PATCH', headers: admin, body: { opensAt: new Date(Date.now() + inMs).toISOString() } });
  assert.equal(reply.status, 200, reply.text);
}

export async function join(url: string, saleId: string, userId: string, headers: Record<string, string> = {}): Promise<Reply> {
  const challenge = await request(`${url}/api/sales/${saleId}/queue/challenge`, { headers });
  const body: Record<string, unknown> = { userId };
  if (challenge.status === 200 && challenge.body.difficulty > 0) {
    body.challenge = challenge.body.challenge;
    body.nonce = solve(challenge.body.challenge, challenge.body.difficulty);
  }
  return request(`${url}/api/sales/${saleId}/queue`, { method: 'POST', body, headers });
}

export function lookup(url: string, saleId: string, ticket: string): Promise<Reply> {
  return request(`${url}/api/sales/${saleId}/queue/${encodeURIComponent(ticket)}`);
}

export function buy(url: string, saleId: string, userId: string, pass: string | null, key?: string): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (pass !== null) headers['spike-pass'] = pass;
  if (key) headers['idempotency-key'] = key;
  return request(`${url}/api/sales/${saleId}/purchases`, { method: 'POST', headers, body: { userId } });
}

/** Spearman's rank correlation of two equally long lists of distinct numbers. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const rank = (xs: readonly number[]) => {
    const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const ranks = new Array<number>(xs.length);
    order.forEach(([, i], r) => (ranks[i] = r));
    return ranks;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i]! - rb[i]!) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}
