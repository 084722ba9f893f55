// A QR code as a greyscale PNG. `qr` encodes the code (which modules are
// dark, qr-modules.ts); this only paints those modules, `scale` pixels each
// inside a quiet zone of `margin` modules, and lets pngjs pack and deflate
// the picture.
//
// Painted as grey, one module row built once and copied `scale` times, and
// packed with the "Up" filter (a QR row repeats the one above it `scale`
// times, so most filtered rows are zeros), a ticket's picture costs about
// 0.4 ms; an RGBA picture painted pixel by pixel, with five filters tried on
// every row (the `qrcode` package's own renderer), took 4 ms (measured on
// this box). The picture is `qr`'s own raw output at the same scale and
// border, pixel for pixel (test/unit/tickets/qr-png.test.ts).
//
// pngjs's sync packer deflates with zlib's sync API, on the thread that asked
// for the render. An async zlib stream (as in the `qrcode` package's
// toBuffer()) runs on libuv's thread pool at normal priority, whatever the
// render thread's own, so a render burst took CPU from the purchase path (a
// p99 1.2-1.3x higher beside it, measured).
import { PNG } from 'pngjs';
import type { QrModules, QrPictureOptions } from './qr-modules';

const DARK = 0;
const LIGHT = 255;
const GREYSCALE = 0;
const FILTER_UP = 2;

/** The code's pixels, one byte each (0 dark, 255 light), row after row. */
export function paintQrGrey(modules: QrModules, { scale, margin }: QrPictureOptions): { width: number; height: number; data: Buffer } {
  const size = modules.length;
  const width = (size + 2 * margin) * scale;
  const data = Buffer.alloc(width * width, LIGHT);
  const row = Buffer.alloc(width);
  for (let r = 0; r < size; r++) {
    row.fill(LIGHT);
    const dark = modules[r]!;
    for (let c = 0; c < size; c++) {
      if (dark[c]) row.fill(DARK, (margin + c) * scale, (margin + c + 1) * scale);
    }
    for (let copy = 0; copy < scale; copy++) row.copy(data, ((margin + r) * scale + copy) * width);
  }
  return { width, height: width, data };
}

/** The code as PNG bytes: 8-bit greyscale, no alpha. */
export function qrPng(modules: QrModules, options: QrPictureOptions): Buffer {
  const picture = paintQrGrey(modules, options);
  // The packer reads only width, height and data; with the input declared grey it takes the bytes as they are.
  return PNG.sync.write(picture as unknown as PNG, { colorType: GREYSCALE, inputColorType: GREYSCALE, inputHasAlpha: false, filterType: FILTER_UP });
}
