// Which modules of a ticket's QR code are dark, from the `qr` package (by
// Paul Miller, no dependencies): ISO/IEC 18004 byte mode, error correction
// level M (15% of the code may be damaged), and of the eight masks the one
// with the lowest penalty, as the standard asks. It scores the masks on
// packed words: a ticket's code (version 11) takes about 0.12 ms, where the
// `qrcode` package took 2.0-2.2 ms, most of a render (measured on this box).
import { encodeQR } from 'qr';

/** Rows of modules, true for dark, without the quiet zone: a square of the code's size. */
export type QrModules = readonly (readonly boolean[])[];

/** How a painter (qr-png.ts, qr-svg.ts) lays the modules out. */
export interface QrPictureOptions {
  /** Pixels (PNG) or units (SVG) per module. */
  readonly scale: number;
  /** Light modules around the code (the standard quiet zone is 4). */
  readonly margin: number;
}

export function qrModules(text: string): QrModules {
  // `qr` always adds a quiet zone; its own advice for the bare matrix is a border of one, sliced off.
  const framed = encodeQR(text, 'raw', { ecc: 'medium', encoding: 'byte', border: 1 });
  return framed.slice(1, -1).map((row) => row.slice(1, -1));
}
