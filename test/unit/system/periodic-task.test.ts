import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PeriodicTask } from '../../../src/system/periodic-task';

function task(pass: () => Promise<unknown>, intervalMs = 5) {
  const warnings: string[] = [];
  const periodic = new PeriodicTask(
    { name: 'sweeper', intervalMs, firstPassMs: 0, whileAway: 'work waits', onceBack: 'working', warn: (line) => warnings.push(line) },
    pass,
  );
  return { periodic, warnings };
}

describe('periodic task', () => {
  it('warns once when the ledger goes away and once when it is back, whatever the number of failing passes', async () => {
    let down = false;
    const { periodic, warnings } = task(async () => undefined);
    const work = async () => {
      if (down) throw new Error('ECONNREFUSED');
    };
    await periodic.guard(work);
    down = true;
    for (let i = 0; i < 5; i++) await periodic.guard(work);
    down = false;
    await periodic.guard(work);
    await periodic.guard(work);
    assert.deepEqual(warnings, ['sweeper: cannot reach the ledger (ECONNREFUSED); work waits', 'sweeper: the ledger answers again; working']);
  });

  it('names a job that fails in other ways than the ledger, and its recovery, in its own words', async () => {
    const warnings: string[] = [];
    const periodic = new PeriodicTask(
      { name: 'retention', intervalMs: 5, failedAs: 'a pass failed', whileAway: 'sales stay', backAs: 'the ledger and the archive directory answer again', onceBack: '', warn: (line) => warnings.push(line) },
      async () => undefined,
    );
    await periodic.guard(async () => {
      throw new Error('EACCES');
    });
    await periodic.guard(async () => undefined);
    assert.deepEqual(warnings, ['retention: a pass failed (EACCES); sales stay', 'retention: the ledger and the archive directory answer again']);
  });

  it('says it is stopping while stop() waits for a pass, and not before', async () => {
    let release: () => void = () => {};
    let sawStopping: boolean | undefined;
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const { periodic } = task(async () => {
      started();
      await new Promise<void>((resolve) => (release = resolve));
      sawStopping = periodic.stopping;
    });
    assert.equal(periodic.stopping, false);
    periodic.start();
    await running;
    assert.equal(periodic.stopping, false, 'running, not stopping');
    const stopped = periodic.stop();
    release();
    await stopped;
    assert.equal(sawStopping, true);
  });

  it('never runs two passes at once, and stop() waits for the pass in flight', async () => {
    let inFlight = 0;
    let most = 0;
    let passes = 0;
    let finished = 0;
    const { periodic } = task(async () => {
      inFlight++;
      passes++;
      most = Math.max(most, inFlight);
      await sleep(15);
      inFlight--;
      finished++;
    }, 1);
    periodic.start();
    // Until a third pass has begun (or 2 s), not a fixed 80 ms: a CI run on a loaded box saw only one pass in 80 ms.
    const started = Date.now();
    while (passes < 3 && Date.now() - started < 2000) await sleep(5);
    await periodic.stop();
    assert.equal(most, 1);
    assert.ok(passes >= 2, `${passes} passes in ${Date.now() - started} ms`);
    assert.equal(finished, passes, 'stop() returned with a pass still running');
    const after = passes;
    await sleep(30);
    assert.equal(passes, after, 'a pass ran after stop()');
  });
});
