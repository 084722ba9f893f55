// Test helpers for tickets over real HTTP: a server environment per ledger,
// buying paid orders, fetching tickets, checking them in, decoding a QR PNG
// (pngjs + jsqr), reading a sale's whole feed, and one server per suite.
import { after, before } from 'node:test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { request, type Reply } from './client';
import { REDIS_URL, uniquePrefix, dropTestPrefix } from './redis';
import { ADMIN_TOKEN, startServer, type RunningServer } from './server';
import { tempDir } from './temp-dir';

export const GATE_TOKEN = 'test-gate-token';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const gate = { authorization: `Bearer ${GATE_TOKEN}` };
export type LedgerKind = 'embedded' | 'redis';

/** Env for a server on the given ledger, in its own data dir / key prefix. */
export function ledgerEnv(kind: LedgerKind, dataDir = tempDir('spike-tickets-')): Record<string, string> {
  const base = { WORKERS: '2', GATE_TOKEN, DATA_DIR: dataDir, SOCKET_DIR: `${dataDir}/sockets`, SHUTDOWN_TIMEOUT_MS: '2000' };
  return kind === 'redis' ? { ...base, LEDGER: 'redis', REDIS_URL, REDIS_PREFIX: uniquePrefix('tickets') } : { ...base, LEDGER: 'embedded', REDIS_URL: '' };
}

export async function createSale(server: RunningServer, id: string, total: number, holdSeconds = 0, name = `Sale ${id}`): Promise<void> {
  const reply = await request(`${server.url}/api/sales`, { method: 'POST', headers: admin, body: { id, name, total, holdSeconds } });
  if (reply.status !== 201) throw new Error(`creating sale ${id}: ${reply.status} ${reply.text}`);
}

export async function buy(server: RunningServer, saleId: string, userId: string): Promise<string> {
  const reply = await request(`${server.url}/api/sales/${saleId}/purchases`, { method: 'POST', body: { userId } });
  if (reply.status !== 201) throw new Error(`buying for ${userId}: ${reply.status} ${reply.text}`);
  return reply.body.orderId as string;
}

export function ticketOf(server: RunningServer, orderId: string, userId: string, format = ''): Promise<Reply & { raw?: Buffer }> {
  return request(`${server.url}/api/orders/${orderId}/ticket?userId=${userId}${format ? `&format=${format}` : ''}`);
}

export async function ticketString(server: RunningServer, orderId: string, userId: string): Promise<string> {
  const reply = await ticketOf(server, orderId, userId);
  if (reply.status !== 200) throw new Error(`ticket of ${orderId}: ${reply.status} ${reply.text}`);
  return reply.body.ticket as string;
}

export function checkIn(server: RunningServer, ticket: string, gateId: string, agent?: false): Promise<Reply> {
  return request(`${server.url}/api/checkins`, { method: 'POST', headers: gate, body: { ticket, gate: gateId }, agent, timeoutMs: 10_000 });
}

/** GET as raw bytes (request() decodes text). */
export async function getBytes(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; bytes: Buffer }> {
  const response = await fetch(url, { headers });
  return { status: response.status, type: response.headers.get('content-type') ?? '', bytes: Buffer.from(await response.arrayBuffer()) };
}

/** The text a QR code in a PNG holds, decoded from its pixels. */
export function decodeQrPng(bytes: Buffer): string | null {
  const png = PNG.sync.read(bytes);
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? null;
}

export interface FeedEventJson {
  readonly id: string;
  readonly type: 'order' | 'sale' | 'ticket_issued' | 'checked_in';
  readonly orderId: string;
  readonly userId: string;
  readonly state?: string;
  readonly at: string;
  readonly gate?: string;
}

export async function wholeFeed(server: RunningServer, saleId: string): Promise<FeedEventJson[]> {
  const events: FeedEventJson[] = [];
  let after = '';
  for (;;) {
    const page = await request(`${server.url}/api/sales/${saleId}/feed?limit=1000${after ? `&after=${after}` : ''}`, { headers: admin });
    if (page.status !== 200) throw new Error(`feed: ${page.status} ${page.text}`);
    events.push(...page.body.events);
    if (page.body.events.length === 0) return events;
    after = page.body.last;
  }
}

export async function ticketCounts(server: RunningServer, saleId: string): Promise<{ due: number; issued: number; checkedIn: number }> {
  const reply = await request(`${server.url}/api/sales/${saleId}/audit`, { headers: admin });
  if (reply.status !== 200) throw new Error(`audit: ${reply.status} ${reply.text}`);
  return reply.body.tickets;
}

/** Removes a Redis-ledger server's keys (a no-op for the embedded ledger's env). */
export async function dropLedgerKeys(env: Record<string, string>): Promise<void> {
  if (env.LEDGER !== 'redis') return;
  await dropTestPrefix(env.REDIS_PREFIX!);
}

/**
 * One server on `env` for the enclosing describe(): started before its tests,
 * stopped after them, and its ledger's keys dropped. Call it in the describe's
 * body (node:test registers the hooks there); the returned function gives the
 * running server to the tests.
 */
export function serverPerSuite(env: Record<string, string>): () => RunningServer {
  let server: RunningServer | undefined;
  before(async () => {
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    await dropLedgerKeys(env);
  });
  return () => {
    if (server === undefined) throw new Error('the suite\'s server is not running (serverPerSuite starts it in before())');
    return server;
  };
}
