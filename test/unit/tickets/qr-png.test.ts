// spike paints a ticket's QR code as grey itself (src/tickets/qr-png.ts) and
// no longer through qrcode's own PNG renderer: the picture must be the one
// that renderer lays out, pixel for pixel, for codes of several sizes, and
// the PNG must read back as that picture and decode back to the text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { render as qrcodeLayout } from 'qrcode/lib/renderer/png';
import { paintQrGrey, qrPng } from '../../../src/tickets/qr-png';
import { decodeQrPng } from '../../helpers/tickets';

const TEXTS = ['a', 'x'.repeat(120), 'T1.' + 'Ab-_9'.repeat(40) + '.' + 'q'.repeat(86)];

describe('the QR code as a grey PNG', () => {
  for (const text of TEXTS) {
    for (const [scale, margin] of [[4, 4], [1, 0], [3, 2]] as const) {
      it(`paints what qrcode's own renderer lays out (${text.length} characters, scale ${scale}, margin ${margin})`, () => {
        const code = QRCode.create(text, { errorCorrectionLevel: 'M' });
        const reference = qrcodeLayout(code, { scale, margin });
        const grey = paintQrGrey(code, { scale, margin });
        assert.equal(grey.width, reference.width);
        assert.equal(grey.height, reference.height);
        let differing = 0;
        for (let pixel = 0; pixel < grey.width * grey.height; pixel++) {
          if (grey.data[pixel] !== reference.data[pixel * 4]) differing++;
        }
        assert.equal(differing, 0, 'pixels that differ');
      });
    }
    it(`packs a PNG that reads back as the picture and decodes to the text (${text.length} characters)`, () => {
      const code = QRCode.create(text, { errorCorrectionLevel: 'M' });
      const bytes = qrPng(code, { scale: 4, margin: 4 });
      const read = PNG.sync.read(bytes);
      const grey = paintQrGrey(code, { scale: 4, margin: 4 });
      assert.equal(read.width, grey.width);
      for (let pixel = 0; pixel < grey.width * grey.height; pixel++) {
        if (read.data[pixel * 4] !== grey.data[pixel]) assert.fail(`pixel ${pixel} reads ${read.data[pixel * 4]}, painted ${grey.data[pixel]}`);
      }
      assert.equal(decodeQrPng(bytes), text);
    });
  }
});
