// A worker's request count and what is in flight: the drain waits on the
// second, and forgetting the warm-up's count must not lose the first.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RequestTracker } from '../../../src/worker/request-tracker';

it('counts requests, knows what is in flight, and is idle once the last one ends', async () => {
  const tracker = new RequestTracker();
  tracker.count();
  const end = tracker.begin();
  assert.equal(tracker.requests, 2);
  assert.equal(tracker.inFlight, 1);
  const idle = tracker.idle(5_000);
  end();
  end(); // a second call is ignored
  assert.equal(await idle, true);
  assert.equal(tracker.inFlight, 0);
});

it('says false when requests are still in flight at the timeout', async () => {
  const tracker = new RequestTracker();
  tracker.begin();
  assert.equal(await tracker.idle(20), false);
});

it('forgets the requests counted so far and keeps those in flight', async () => {
  const tracker = new RequestTracker();
  tracker.count();
  const end = tracker.begin();
  tracker.forgetRequests();
  assert.equal(tracker.requests, 0);
  assert.equal(tracker.inFlight, 1);
  const idle = tracker.idle(5_000);
  end();
  assert.equal(await idle, true);
  tracker.count();
  assert.equal(tracker.requests, 1);
});
