// The journal reader against real files damaged the ways crashes and disks
// damage them: a torn tail is dropped with a warning, anything else stops the start.
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedLedger } from '../../../src/ledger/embedded/embedded-ledger';
import { JOURNAL_FILE } from '../../../src/ledger/embedded/journal/journal';
import { encodeFrame, FRAME_HEADER_BYTES } from '../../../src/ledger/embedded/journal/journal-format';
import { JournalCorruptError, readJournal } from '../../../src/ledger/embedded/journal/journal-reader';
import { JournalWriter } from '../../../src/ledger/embedded/journal/journal-writer';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A real journal of one sale and `orders` orders, written by the ledger itself; returns each record's offset. */
async function journalWith(orders: number): Promise<{ dataDir: string; file: string; offsets: number[]; orderIds: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spike-journal-'));
  dirs.push(dataDir);
  const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch' });
  await ledger.createSale({ id: 'j', name: 'journal test', total: 100, perUserLimit: 1, holdSeconds: 0, opensAt: null, closesAt: null }, 1);
  const orderIds: string[] = [];
  for (let i = 0; i < orders; i++) {
    const outcome = await ledger.reserve({ saleId: 'j', userId: `u${i}`, requestKey: `k:${i}`, orderId: `j.order-${i}`, now: 1000 + i });
    assert.equal(outcome.kind, 'reserved');
    orderIds.push(`j.order-${i}`);
  }
  await ledger.close();
  const file = join(dataDir, JOURNAL_FILE);
  const offsets: number[] = [];
  readJournal(file, (_payload, offset) => offsets.push(offset));
  return { dataDir, file, offsets, orderIds };
}

function open(dataDir: string) {
  const warnings: string[] = [];
  const ledger = EmbeddedLedger.open({ dataDir, fsync: 'batch', warn: (line) => warnings.push(line) });
  return { ledger, warnings };
}

/** Opens, checks what survived, and checks that selling continues on the truncated file. */
async function assertRecoveredWith(dataDir: string, orders: number, tornAt: number): Promise<void> {
  const { ledger, warnings } = open(dataDir);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, new RegExp(`dropped a torn last record at offset ${tornAt}`));
  assert.deepEqual(ledger.diagnostics.saleFigures('j'), {
    total: 100, sold: orders, paid: orders, orders: { reserved: 0, paid: orders, expired: 0, cancelled: 0 }, buyers: orders, buyersOverLimit: 0,
    orderCount: orders, held: orders, requestKeys: orders, feedEvents: orders, holdIndex: 0,
  });
  const next = await ledger.reserve({ saleId: 'j', userId: 'after', requestKey: 'k:after', orderId: 'j.after', now: 5000 });
  assert.equal(next.kind, 'reserved');
  await ledger.close();
  const again = open(dataDir);
  assert.deepEqual(again.warnings, [], 'the torn bytes were cut off, so the next start is clean');
  assert.equal(again.ledger.diagnostics.saleFigures('j')!.sold, orders + 1);
  assert.equal((await again.ledger.getOrder('j.after'))!.userId, 'after');
  await again.ledger.close();
}

describe('journal: torn last record', () => {
  it('drops a last record cut off inside its payload', async () => {
    const { dataDir, file, offsets } = await journalWith(5);
    truncateSync(file, statSync(file).size - 3);
    await assertRecoveredWith(dataDir, 4, offsets[5]!);
  });

  it('drops a last record cut off inside its header', async () => {
    const { dataDir, file, offsets } = await journalWith(5);
    truncateSync(file, offsets[5]! + 5);
    await assertRecoveredWith(dataDir, 4, offsets[5]!);
  });

  it('drops a complete-length last record whose bytes never reached the disk (checksum fails)', async () => {
    const { dataDir, file, offsets } = await journalWith(5);
    const bytes = readFileSync(file);
    bytes.fill(0, offsets[5]! + FRAME_HEADER_BYTES);
    writeFileSync(file, bytes);
    await assertRecoveredWith(dataDir, 4, offsets[5]!);
  });

  it('drops a zero-filled tail', async () => {
    const { dataDir, file } = await journalWith(5);
    const end = statSync(file).size;
    appendFileSync(file, Buffer.alloc(4096));
    await assertRecoveredWith(dataDir, 5, end);
  });
});

describe('journal: corruption before the end stops the start', () => {
  it('names the file and the offset of a record whose checksum fails', async () => {
    const { dataDir, file, offsets } = await journalWith(5);
    const bytes = readFileSync(file);
    const victim = offsets[2]!;
    bytes[victim + FRAME_HEADER_BYTES + 4] ^= 0x20;
    writeFileSync(file, bytes);
    assert.throws(() => open(dataDir), (error: unknown) => {
      assert.ok(error instanceof JournalCorruptError);
      assert.equal(error.offset, victim);
      assert.match(error.message, new RegExp(`journal ${file.replace(/[.]/g, '\\.')} is corrupt at byte offset ${victim}: record checksum mismatch`));
      assert.match(error.message, /truncate -s/);
      return true;
    });
    assert.deepEqual(readFileSync(file), bytes, 'a corrupt journal is left exactly as it was');
  });

  it('stops at a flipped bit in the last, full-length record: that order was acknowledged, so it is damage, not a torn write', async () => {
    const { dataDir, file, offsets } = await journalWith(5);
    const victim = offsets[5]!;
    const pristine = readFileSync(file);
    // Every bit of the payload's first, middle and last byte: none may pass for a torn tail.
    const payloadBytes = pristine.length - victim - FRAME_HEADER_BYTES;
    for (const at of [0, Math.floor(payloadBytes / 2), payloadBytes - 1]) {
      for (let bit = 0; bit < 8; bit++) {
        const bytes = Buffer.from(pristine);
        bytes[victim + FRAME_HEADER_BYTES + at] ^= 1 << bit;
        writeFileSync(file, bytes);
        assert.throws(() => open(dataDir), (error: unknown) => {
          assert.ok(error instanceof JournalCorruptError, String(error));
          assert.equal(error.offset, victim);
          assert.match(error.message, /record checksum mismatch/);
          return true;
        }, `payload byte ${at}, bit ${bit}`);
        assert.deepEqual(readFileSync(file), bytes, 'the damaged journal is left as it was, the last order included');
      }
    }
  });

  it('names the offset of a damaged length field', async () => {
    const { dataDir, file, offsets } = await journalWith(5);
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(0x7fffffff, offsets[1]!);
    writeFileSync(file, bytes);
    assert.throws(() => open(dataDir), new RegExp(`corrupt at byte offset ${offsets[1]}: record header checksum mismatch`));
  });

  it('does not mistake a damaged length field that points past the end for a torn tail when records follow', async () => {
    const { dataDir, file, offsets } = await journalWith(50);
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(60_000, offsets[3]!);
    writeFileSync(file, bytes);
    assert.throws(() => open(dataDir), new RegExp(`corrupt at byte offset ${offsets[3]}`));
  });

  it('refuses a file that is not a journal', async () => {
    const { dataDir, file } = await journalWith(1);
    const bytes = readFileSync(file);
    bytes[0] = 0x58;
    writeFileSync(file, bytes);
    assert.throws(() => open(dataDir), /corrupt at byte offset 0: this is not a spike journal/);
  });

  it('refuses a well-formed record that cannot apply (an order for a sale never created)', async () => {
    const { dataDir, file } = await journalWith(0);
    const end = statSync(file).size;
    appendFileSync(file, encodeFrame(JSON.stringify(['R', 'ghost', 'u', 'k:x', 'ghost.1', 5])));
    appendFileSync(file, encodeFrame(JSON.stringify(['R', 'j', 'u', 'k:y', 'j.1', 5])));
    assert.throws(() => open(dataDir), new RegExp(`corrupt at byte offset ${end}: the record does not apply: order ghost.1 is for sale "ghost"`));
  });

  it('refuses a transition of an order never made, or of one already final', async () => {
    const { dataDir, file } = await journalWith(1);
    const end = statSync(file).size;
    appendFileSync(file, encodeFrame(JSON.stringify(['P', 'j.never', 5])));
    assert.throws(() => open(dataDir), new RegExp(`corrupt at byte offset ${end}: the record does not apply: order j\\.never cannot become paid: it was never made`));
    truncateSync(file, end);
    // The sale sells at once (holdSeconds 0), so its order is paid already and cannot also be cancelled.
    appendFileSync(file, encodeFrame(JSON.stringify(['C', 'j.order-0', 5])));
    assert.throws(() => open(dataDir), /cannot become cancelled: it is paid, not reserved/);
  });
});

describe('journal: a write that fails', () => {
  it('fails the waiting records and every later one, and reports it once (real ENOSPC from /dev/full)', { skip: !existsSync('/dev/full') }, async () => {
    const fd = openSync('/dev/full', 'w');
    const failures: Error[] = [];
    const writer = new JournalWriter(fd, true, '/dev/full', (error) => failures.push(error));
    try {
      const first = writer.append(encodeFrame('["x"]'));
      const second = writer.append(encodeFrame('["y"]'));
      await assert.rejects(first, /journal \/dev\/full could not be written: .*ENOSPC/);
      await assert.rejects(second, /ENOSPC/);
      await assert.rejects(writer.append(encodeFrame('["z"]')), /ENOSPC/);
      await assert.rejects(writer.durable(), /ENOSPC/);
      assert.equal(failures.length, 1);
      assert.ok(writer.failed);
    } finally {
      closeSync(fd);
    }
  });
});
