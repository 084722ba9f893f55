// Signing a ticket and drawing its QR code: the CPU work of a ticket
// request, run in a render thread (render-thread.ts) or, with
// TICKET_THREADS=0, inline. Uses the `qrcode` package; no hand-written QR.
import type { KeyObject } from 'node:crypto';
import QRCode from 'qrcode';
import { qrPng } from './qr-png';
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
 * qrcode's own toBuffer() deflates the PNG with an async zlib stream, which
 * runs on libuv's thread pool: at normal priority, whatever the render
 * thread's own, so a render burst took CPU from the purchase path (a p99
 * 1.2-1.3x higher beside it, measured). qrPng() deflates with zlib's sync
 * API, so all of a render's work stays on the thread that asked for it, and
 * paints the picture as grey (see qr-png.ts for what that saves).
 */
function encodePng(ticket: string): Buffer {
  return qrPng(QRCode.create(ticket, QR_OPTIONS), { scale: PNG_SCALE, margin: QR_OPTIONS.margin });
}

export async function renderTicket(task: RenderTask, privateKey: KeyObject): Promise<RenderedTicket> {
  const ticket = signTicket(task.payload, privateKey);
  if (task.format === 'svg') return { ticket, image: await QRCode.toString(ticket, { ...QR_OPTIONS, type: 'svg' }) };
  if (task.format === 'png') return { ticket, image: new Uint8Array(encodePng(ticket)) };
  return { ticket };
}
