// spike paints a ticket's QR code itself (src/tickets/qr-png.ts, qr-svg.ts)
// from the modules `qr` encodes (qr-modules.ts). The PNG's picture must be
// the one `qr` lays out itself at that scale and quiet zone, pixel for pixel,
// for codes of several sizes; the PNG must read back as that picture and
// decode back to the text, and so must the SVG once drawn.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { encodeQR } from 'qr';
import { qrModules } from '../../../src/tickets/qr-modules';
import { paintQrGrey, qrPng } from '../../../src/tickets/qr-png';
import { qrSvg } from '../../../src/tickets/qr-svg';
import { decodeQrPng } from '../../helpers/tickets';

const TEXTS = ['a', 'x'.repeat(120), 'T1.' + 'Ab-_9'.repeat(40) + '.' + 'q'.repeat(86)];

/** The SVG's stroked runs painted back into grey pixels, one per unit of its viewBox. */
function rasterizeSvg(svg: string): { width: number; data: Buffer } {
  const width = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)![1]);
  const stroke = Number(/stroke-width="(\d+)"/.exec(svg)![1]);
  const data = Buffer.alloc(width * width, 255);
  let penX = 0;
  let penY = 0;
  for (const [, move, x, y, run] of svg.matchAll(/([Mm])(\d+(?:\.\d+)?) (\d+(?:\.\d+)?)h(\d+)/g)) {
    penX = move === 'M' ? Number(x) : penX + Number(x);
    penY = move === 'M' ? Number(y) : penY + Number(y);
    for (let row = penY - stroke / 2; row < penY + stroke / 2; row++) data.fill(0, row * width + penX, row * width + penX + Number(run));
    penX += Number(run);
  }
  return { width, data };
}

describe('the QR code as a grey PNG and as SVG', () => {
  for (const text of TEXTS) {
    it(`takes the bare square of modules from qr (${text.length} characters)`, () => {
      const modules = qrModules(text);
      const framed = encodeQR(text, 'raw', { ecc: 'medium', encoding: 'byte', border: 1 });
      assert.equal(modules.length, framed.length - 2);
      assert.ok(modules.every((row) => row.length === modules.length), 'a square');
      // The finder pattern's corner is dark at the square's corner: no quiet zone left in.
      assert.equal(modules[0]![0], true);
      assert.equal(modules[0]![modules.length - 1], true);
    });
    for (const [scale, margin] of [[4, 4], [1, 1], [3, 2]] as const) {
      it(`paints what qr lays out itself (${text.length} characters, scale ${scale}, margin ${margin})`, () => {
        const reference = encodeQR(text, 'raw', { ecc: 'medium', encoding: 'byte', border: margin, scale });
        const grey = paintQrGrey(qrModules(text), { scale, margin });
        assert.equal(grey.width, reference.length);
        assert.equal(grey.height, reference.length);
        let differing = 0;
        for (let y = 0; y < grey.height; y++) {
          for (let x = 0; x < grey.width; x++) if ((grey.data[y * grey.width + x] === 0) !== reference[y]![x]) differing++;
        }
        assert.equal(differing, 0, 'pixels that differ');
      });
    }
    it(`packs a PNG that reads back as the picture and decodes to the text (${text.length} characters)`, () => {
      const modules = qrModules(text);
      const bytes = qrPng(modules, { scale: 4, margin: 4 });
      const read = PNG.sync.read(bytes);
      const grey = paintQrGrey(modules, { scale: 4, margin: 4 });
      assert.equal(read.width, grey.width);
      for (let pixel = 0; pixel < grey.width * grey.height; pixel++) {
        if (read.data[pixel * 4] !== grey.data[pixel]) assert.fail(`pixel ${pixel} reads ${read.data[pixel * 4]}, painted ${grey.data[pixel]}`);
      }
      assert.equal(decodeQrPng(bytes), text);
    });
    it(`draws an SVG of the same modules on a white square (${text.length} characters)`, () => {
      const modules = qrModules(text);
      for (const scale of [1, 2]) {
        const svg = qrSvg(modules, { scale, margin: 4 });
        assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 (\d+) \1"[^>]*><rect width="\1" height="\1" fill="#fff"\/>/);
        assert.deepEqual(rasterizeSvg(svg).data, paintQrGrey(modules, { scale, margin: 4 }).data);
      }
    });
  }
});
