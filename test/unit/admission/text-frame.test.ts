import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { textFrame } from '../../../src/admission/node-watch-server';

// ws's frame parser, which its client runs on what a server sends (exported at run time, not typed).
const { Receiver } = WebSocket as unknown as { Receiver: new (options: { isServer: boolean }) => NodeJS.EventEmitter & { write(chunk: Buffer): void } };

/** What a real WebSocket client's frame parser (ws's) reads from the bytes, as a client. */
function readAsClient(frame: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer) => resolve(data.toString()));
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

describe('the watch server frames a push once', () => {
  for (const length of [0, 125, 126, 300, 65535, 65536]) {
    it(`as a text frame a client reads back, payload ${length} bytes`, async () => {
      const text = 'x'.repeat(length);
      assert.equal(await readAsClient(textFrame(Buffer.from(text))), text);
    });
  }
});
