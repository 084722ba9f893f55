// Slow ledger calls under overload come out as one line per few seconds, not one per call.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logLedgerEvents, type Logger } from '../../../src/logging';

describe('logLedgerEvents', () => {
  it('logs the first slow call, then folds the next ones into the following line', () => {
    const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const log = { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }), error: () => {} } as unknown as Logger;
    const events = logLedgerEvents(log, 100);
    for (let i = 0; i < 1000; i++) events.slowCall('reserve', 150 + i);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.fields.ms, 150);
    assert.match(lines[0]!.msg, /slow ledger call: reserve took 150 ms \(LEDGER_SLOW_MS=100\)$/);
  });
});
