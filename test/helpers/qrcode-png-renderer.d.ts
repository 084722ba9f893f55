// Types for the module behind qrcode's own toBuffer(): it lays the QR code
// out as an RGBA image (a pngjs PNG) without encoding it. The QR PNG test
// holds spike's grey painting (src/tickets/qr-png.ts) against it.
declare module 'qrcode/lib/renderer/png' {
  import type { PNG } from 'pngjs';
  import type { QRCode, QRCodeRenderersOptions } from 'qrcode';
  /** A pngjs PNG (qrcode's own pngjs), its pixels filled in and not yet packed. */
  export function render(qrData: QRCode, options?: QRCodeRenderersOptions): PNG;
}
