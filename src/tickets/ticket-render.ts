// Signing a ticket and drawing its QR code: the CPU work of a ticket
// request, run in a render thread (render-thread.ts) or, with
// TICKET_THREADS=0, inline. Uses the `qrcode` package; no hand-written QR.
import type { KeyObject } from 'node:crypto';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { render as layOutPng } from 'qrcode/lib/renderer/png';
import { signTicket, type TicketPayload } from './ticket-codec';

export type TicketFormat = 'json' | 'svg' | 'png';

export interface RenderTask {
  readonly payload: TicketPayload;
  readonly format: TicketFormat;
}

export interface RenderedTicket {
  /** The compact signed ticket the QR code holds. */
  readonly ticket: string;
  /** The QR code as SVG text or PNG bytes, for those formats. */
  readonly image?: string | Uint8Array;
}

/**
 * Level M (15% of the code may be damaged) with the standard 4-module quiet
 * zone; a PNG module is 4 px, so a typical ticket is a code of about 300 px.
 */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
export const PNG_SCALE = 4;

/**
 * QRCode.toBuffer() deflates the PNG with an async zlib stream, which runs on
 * libuv's thread pool: at normal priority, whatever the render thread's own,
 * so a render burst took CPU from the purchase path (a p99 1.2-1.3x higher
 * beside it, measured). The same layout, encoded with zlib's sync API, keeps
 * all of a render's work on the thread that asked for it.
 */
function encodePng(ticket: string): Buffer {
  // Greyscale: a QR code has two colours, and RGBA only quadrupled what zlib had to squeeze (3.9 KB then, 2.0 KB now, in about 60% of the time).
  return PNG.sync.write(layOutPng(QRCode.create(ticket, QR_OPTIONS), { ...QR_OPTIONS, scale: PNG_SCALE }), { colorType: 0 });
}

export async function renderTicket(task: RenderTask, privateKey: KeyObject): Promise<RenderedTicket> {
  const ticket = signTicket(task.payload, privateKey);
  if (task.format === 'svg') return { ticket, image: await QRCode.toString(ticket, { ...QR_OPTIONS, type: 'svg' }) };
  if (task.format === 'png') return { ticket, image: new Uint8Array(encodePng(ticket)) };
  return { ticket };
}
