// Tickets across crashes, under real load: SIGKILL the primary (embedded
// ledger) or a worker and then the primary (Redis) in the middle of a
// check-in flood, with every ticket still due. After the restart no
// acknowledged check-in is forgotten (it answers already_used, then and
// there), and every due ticket is issued exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isProcessAlive } from '../../src/system/process-alive';
import { request, type Reply } from '../helpers/client';
import { eventually, startServer, type RunningServer } from '../helpers/server';
import { admin, buy, checkIn, createSale, dropLedgerKeys, ledgerEnv, ticketCounts, ticketString, wholeFeed, type LedgerKind } from '../helpers/tickets';
import { tempDir } from '../helpers/temp-dir';

const SALE = 'tk-crash';
const ORDERS = 120;
const KILL_AFTER_ACKS = 40;

async function workerPids(server: RunningServer): Promise<number[]> {
  const cluster = await request(`${server.url}/api/cluster`, { headers: admin });
  return (cluster.body.workers as Array<{ pid: number }>).map((w) => w.pid);
}

/** Checks every ticket in once over 20 lanes; calls kill() once `killAfter` were admitted, and stops sending. */
async function checkInFlood(server: RunningServer, tickets: string[], killAfter: number, kill: () => void): Promise<Map<string, Reply>> {
  const admitted = new Map<string, Reply>();
  let next = 0;
  let killed = false;
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (next < tickets.length && !killed) {
      const ticket = tickets[next++]!;
      let reply: Reply;
      try {
        reply = await checkIn(server, ticket, `gate-${next % 4}`);
      } catch {
        continue; // the connection died with the process
      }
      if (reply.status === 200) admitted.set(ticket, reply);
      if (!killed && admitted.size >= killAfter) {
        killed = true;
        kill();
      }
    }
  }));
  assert.ok(killed, 'the process was killed mid-flood');
  return admitted;
}

/** After the crash: every admitted ticket answers already_used with its first admission; the rest admit once; every ticket issued once. */
async function assertNothingLost(server: RunningServer, tickets: string[], admitted: Map<string, Reply>): Promise<void> {
  for (const [ticket, first] of admitted) {
    const again = await checkIn(server, ticket, 'late-gate');
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, 'already_used');
    assert.deepEqual([again.body.usedAt, again.body.gate], [first.body.checkedInAt, first.body.gate], 'the check-in acknowledged before the crash');
  }
  for (const ticket of tickets) {
    if (admitted.has(ticket)) continue;
    const reply = await checkIn(server, ticket, 'late-gate');
    // One that reached the ledger just before the kill is already used; the rest admit now.
    assert.ok(reply.status === 200 || reply.body.error?.code === 'already_used', reply.text);
  }
  await eventually(async () => (await ticketCounts(server, SALE)).due === 0, 15_000, 'every due ticket issued');
  assert.deepEqual(await ticketCounts(server, SALE), { due: 0, issued: ORDERS, checkedIn: ORDERS });
  const feed = await wholeFeed(server, SALE);
  const issued = feed.filter((e) => e.type === 'ticket_issued').map((e) => e.orderId);
  assert.equal(issued.length, ORDERS, 'one ticket_issued per paid order, none twice');
  assert.equal(new Set(issued).size, ORDERS);
  const checked = feed.filter((e) => e.type === 'checked_in').map((e) => e.orderId);
  assert.equal(checked.length, ORDERS);
  assert.equal(new Set(checked).size, ORDERS);
}

/** A sale of paid orders whose tickets are all due: the issuer first runs ten minutes after the start. */
async function paidOrdersWithTickets(server: RunningServer): Promise<{ orders: string[]; tickets: string[] }> {
  await createSale(server, SALE, ORDERS);
  const orders: string[] = [];
  for (let i = 0; i < ORDERS; i += 20) orders.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => buy(server, SALE, `fan-${i + j}`)))));
  const tickets = await Promise.all(orders.map((orderId, i) => ticketString(server, orderId, `fan-${i}`)));
  assert.deepEqual(await ticketCounts(server, SALE), { due: ORDERS, issued: 0, checkedIn: 0 });
  return { orders, tickets };
}

const SLOW_ISSUER = { TICKET_ISSUE_MS: '600000' };
const FAST_ISSUER = { TICKET_ISSUE_MS: '50' };

describe('tickets survive kill -9 of the primary (embedded ledger)', () => {
  const dataDir = tempDir('spike-tk-crash-');
  const env = ledgerEnv('embedded' as LedgerKind, dataDir);

  it('forgets no acknowledged check-in and issues every due ticket once; the key made in DATA_DIR is kept', async (t) => {
    const first = await startServer({ ...env, ...SLOW_ISSUER });
    let second: RunningServer | undefined;
    try {
      assert.match(first.output(), /generated an Ed25519 ticket signing key into .*ticket-signing-key\.pem/);
      const pids = await workerPids(first);
      const { orders, tickets } = await paidOrdersWithTickets(first);
      const admitted = await checkInFlood(first, tickets, KILL_AFTER_ACKS, () => first.child.kill('SIGKILL'));
      assert.equal((await first.exited).signal, 'SIGKILL');
      await eventually(() => pids.every((pid) => !isProcessAlive(pid)), 15_000, 'the orphaned workers to exit');
      t.diagnostic(`primary killed after ${admitted.size} check-ins acknowledged; ${ORDERS} tickets due`);

      second = await startServer({ ...env, ...FAST_ISSUER });
      assert.doesNotMatch(second.output(), /generated an Ed25519/, 'the key from the first start is reused');
      assert.equal(await ticketString(second, orders[0]!, 'fan-0'), tickets[0], 'the same key and paid time: the same ticket');
      await assertNothingLost(second, tickets, admitted);
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});

describe('tickets survive kill -9 of a worker, then of the primary (Redis ledger)', () => {
  const env = ledgerEnv('redis' as LedgerKind);

  it('forgets no acknowledged check-in and issues every due ticket once', async (t) => {
    const first = await startServer({ ...env, ...SLOW_ISSUER });
    let second: RunningServer | undefined;
    try {
      const { tickets } = await paidOrdersWithTickets(first);
      const [victim] = await workerPids(first);
      const admitted = await checkInFlood(first, tickets, KILL_AFTER_ACKS, () => process.kill(victim!, 'SIGKILL'));
      t.diagnostic(`worker ${victim} killed after ${admitted.size} check-ins acknowledged`);
      // The restarted worker and the survivor both remember every check-in.
      await eventually(async () => (await workerPids(first)).every((pid) => pid !== victim && isProcessAlive(pid)), 15_000, 'the worker to be replaced');
      for (const [ticket, reply] of admitted) {
        const again = await checkIn(first, ticket, 'after-worker-crash');
        assert.equal(again.body.error?.code, 'already_used', again.text);
        assert.equal(again.body.gate, reply.body.gate);
      }
      // Now the primary, with every ticket still due.
      assert.equal((await ticketCounts(first, 'tk-crash')).due, ORDERS);
      const pids = await workerPids(first);
      first.child.kill('SIGKILL');
      await first.exited;
      await eventually(() => pids.every((pid) => !isProcessAlive(pid)), 15_000, 'the orphaned workers to exit');

      second = await startServer({ ...env, ...FAST_ISSUER });
      await assertNothingLost(second, tickets, admitted);
    } finally {
      await first.stop();
      await second?.stop();
      await dropLedgerKeys(env);
    }
  });
});
