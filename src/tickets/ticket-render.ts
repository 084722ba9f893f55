// Signing a ticket and drawing its QR code: the CPU work of a ticket
// request, run in a render thread (render-thread.ts) or, with
// TICKET_THREADS=0, inline. The `qr` package encodes the code (qr-modules.ts);
// no hand-written QR encoder. The pictures are painted here (qr-png.ts, qr-svg.ts).
import type { KeyObject } from 'node:crypto';
import { qrModules } from './qr-modules';
import { qrPng } from './qr-png';
import { qrSvg } from './qr-svg';
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

/** A PNG module is 4 px, so a typical ticket (QR version 10 or 11) is a code of 260-276 px, inside the standard 4-module quiet zone. */
const PNG_SCALE = 4;
const MARGIN = 4;

export async function renderTicket(task: RenderTask, privateKey: KeyObject): Promise<RenderedTicket> {
  const ticket = signTicket(task.payload, privateKey);
  if (task.format === 'svg') return { ticket, image: qrSvg(qrModules(ticket), { scale: 1, margin: MARGIN }) };
  if (task.format === 'png') return { ticket, image: new Uint8Array(qrPng(qrModules(ticket), { scale: PNG_SCALE, margin: MARGIN })) };
  return { ticket };
}
