// The model-based property test (test/helpers/ledger-model.ts) against the
// embedded ledger in-process, without fsync, so it runs in the unit suite in
// about a second: the decisions and apply/replay held to the reference model
// on every run, with no Redis. test/contract runs it on Redis too, with fsync.
import { describe } from 'node:test';
import { modelTest, sharedEmbeddedTarget } from '../../helpers/ledger-model';

describe('model-based: embedded decisions and replay', () => {
  modelTest('embedded, no fsync', sharedEmbeddedTarget('off'));
});
