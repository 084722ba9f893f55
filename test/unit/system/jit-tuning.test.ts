// The interrupt budget really moves V8's threshold: in a real Node process,
// a hot function is optimized after far fewer calls with the server's budget
// than with V8's own. (V8's compiler runs on the main thread here, so the
// count is exact, not a race with a background compile.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/config';

const TUNING = join(__dirname, '..', '..', '..', 'src', 'system', 'jit-tuning.js');

/** Calls of a small hot function until V8 reports it optimized, in a fresh process with this budget. */
function callsUntilOptimized(budget: number): number {
  const script = `
    require(${JSON.stringify(TUNING)}).tierUpSooner(${budget});
    function hot(a) { let s = 0; for (let i = 0; i < 20; i++) s += a * i; return s; }
    let calls = 0;
    for (; calls < 1000000; calls++) { hot(calls); if (%GetOptimizationStatus(hot) & 16) break; }
    console.log(calls);`;
  return Number(execFileSync(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', '-e', script], { encoding: 'utf8' }).trim());
}

describe('JIT tuning', () => {
  it('the default budget optimizes a hot function many times sooner than V8 alone (0 keeps V8 as it is)', () => {
    const config = loadConfig({ ADMIN_TOKEN: 'a-long-enough-token' });
    assert.equal(config.jitInterruptBudget, 4000);
    const v8Own = callsUntilOptimized(0);
    const tuned = callsUntilOptimized(config.jitInterruptBudget);
    assert.ok(tuned * 4 < v8Own, `optimized after ${tuned} calls with the budget, ${v8Own} without`);
  });

  it('refuses a budget that is not a whole number of 0 or more', () => {
    assert.throws(() => loadConfig({ ADMIN_TOKEN: 'a-long-enough-token', JIT_INTERRUPT_BUDGET: '-1' }), /JIT_INTERRUPT_BUDGET/);
    assert.throws(() => loadConfig({ ADMIN_TOKEN: 'a-long-enough-token', JIT_INTERRUPT_BUDGET: 'fast' }), /JIT_INTERRUPT_BUDGET/);
  });
});
