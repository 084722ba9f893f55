import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutFrames } from '../../../bench/lean-watcher';

function frame(opcode: number, payload: Buffer): Buffer {
  if (payload.length < 126) return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
  const head = Buffer.from([0x80 | opcode, 126, 0, 0]);
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
}

function cut(bytes: Buffer): { texts: string[]; pings: string[]; rest: Buffer | null } {
  const texts: string[] = [];
  const pings: string[] = [];
  const rest = cutFrames(bytes, (p) => texts.push(p.toString()), (p) => pings.push(p.toString()));
  return { texts, pings, rest };
}

describe('the lean watcher cuts server frames', () => {
  it('cuts whole text frames, short and with a 16-bit length, and hands over pings', () => {
    const long = `{"serving":7,"pad":"${'x'.repeat(300)}","at":1}`;
    const { texts, pings, rest } = cut(Buffer.concat([frame(1, Buffer.from('{"serving":5}')), frame(9, Buffer.from('hi')), frame(1, Buffer.from(long))]));
    assert.deepEqual(texts, ['{"serving":5}', long]);
    assert.deepEqual(pings, ['hi']);
    assert.equal(rest, null);
  });

  it('returns an unfinished frame, at any split, to be completed by the next read', () => {
    const bytes = Buffer.concat([frame(1, Buffer.from('{"serving":1}')), frame(1, Buffer.from(`{"serving":2,"pad":"${'y'.repeat(200)}"}`))]);
    for (let split = 1; split < bytes.length; split++) {
      const first = cut(bytes.subarray(0, split));
      const second = cut(first.rest === null ? bytes.subarray(split) : Buffer.concat([first.rest, bytes.subarray(split)]));
      assert.deepEqual([...first.texts, ...second.texts].map((t) => JSON.parse(t).serving), [1, 2], `split at ${split}`);
      assert.equal(second.rest, null);
    }
  });
});
