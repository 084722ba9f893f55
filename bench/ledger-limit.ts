// A ledger's own reservation rate, with no HTTP, balancer or worker in front:
// `inFlight` closed loops each awaiting one reservation after another, for
// `ms`. For Redis it is the reservation script over one ioredis connection,
// configured as the server's is; for the embedded ledger it is the ledger in
// this process, its journal group-committing with fsync (JOURNAL_FSYNC=batch).
// The selling cell divides its tickets/s by this, measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EmbeddedLedger } from '../src/ledger/embedded/embedded-ledger';
import type { Ledger } from '../src/ledger/ledger';
import { RedisLedger } from '../src/ledger/redis/redis-ledger';
import { WORTH_A_CALL } from '../src/ledger/redis/script-batcher';
import { dropPrefix } from '../harness/redis-admin';
import type { LedgerKind } from './settings';

export interface LedgerLimit {
  readonly perSecond: number;
  readonly inFlight: number;
  readonly reservations: number;
  readonly how: string;
}

async function drive(ledger: Ledger, inFlight: number, ms: number): Promise<number> {
  const saleId = `limit-${randomBytes(3).toString('hex')}`;
  // Held for payment, as the cells' sales are, so the hold index is part of the cost.
  await ledger.createSale({ id: saleId, name: saleId, total: 1_000_000_000, perUserLimit: 1, holdSeconds: 900, opensAt: null, closesAt: null }, Date.now());
  let counter = 0;
  const end = performance.now() + ms;
  const loop = async () => {
    while (performance.now() < end) {
      const i = ++counter;
      const outcome = await ledger.reserve({ saleId, userId: `u${i}`, requestKey: `k:${i}`, orderId: `${saleId}.${i}`, now: Date.now() });
      if (outcome.kind !== 'reserved') throw new Error(`ledger limit: expected reserved, got ${outcome.kind}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, loop));
  return (counter * 1000) / (performance.now() - started);
}

export async function measureLedgerLimit(kind: LedgerKind, options: { redisUrl: string; inFlight: number; ms: number; autoPipelining: boolean; reserveBatch: number; batchWindowMs: number }): Promise<LedgerLimit> {
  if (kind === 'redis') {
    const prefix = `spikebench-limit-${randomBytes(4).toString('hex')}`;
    const ledger = new RedisLedger({ url: options.redisUrl, prefix, timeoutMs: 5000, autoPipelining: options.autoPipelining, reserveBatch: options.reserveBatch, batchWindowMs: options.batchWindowMs });
    await ledger.connect();
    try {
      const perSecond = await drive(ledger, options.inFlight, options.ms);
      return { perSecond, inFlight: options.inFlight, reservations: Math.round((perSecond * options.ms) / 1000), how: `reserveTickets script through RedisLedger (a sale's reservations batched as in workers: up to ${options.reserveBatch} per call, calls ${options.batchWindowMs} ms apart while fewer than ${WORTH_A_CALL} wait), one connection, auto-pipelining ${options.autoPipelining ? 'on' : 'off'}` };
    } finally {
      await dropPrefix(ledger.redis, prefix).catch(() => undefined);
      await ledger.close();
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-limit-'));
  const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
  try {
    const perSecond = await drive(ledger, options.inFlight, options.ms);
    const j = ledger.diagnostics.journal;
    return { perSecond, inFlight: options.inFlight, reservations: j.records, how: `embedded ledger in process, journal fsync batch: ${j.records} records in ${j.batches} group commits (${(j.records / Math.max(1, j.batches)).toFixed(1)} per fsync)` };
  } finally {
    await ledger.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
