// A QR code as SVG text: a white square (so that a dark page does not eat the
// quiet zone) and one stroked path, a horizontal line for each run of dark
// modules in a row (`M` to a row's first run, a relative `m` to the next), as
// the `qrcode` package draws it, so a ticket's code is about 6 KB.
import type { QrModules, QrPictureOptions } from './qr-modules';

export function qrSvg(modules: QrModules, { scale, margin }: QrPictureOptions): string {
  const size = modules.length;
  const width = (size + 2 * margin) * scale;
  let path = '';
  for (let r = 0; r < size; r++) {
    const dark = modules[r]!;
    // The stroke is centred on its line: half a module down draws the row's full height.
    const y = (margin + r) * scale + scale / 2;
    let penX = -1;
    for (let c = 0; c < size; c++) {
      if (!dark[c]) continue;
      const start = c;
      while (c + 1 < size && dark[c + 1]) c++;
      const x = (margin + start) * scale;
      path += penX < 0 ? `M${x} ${y}` : `m${x - penX} 0`;
      path += `h${(c - start + 1) * scale}`;
      penX = x + (c - start + 1) * scale;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${width}" shape-rendering="crispEdges"><rect width="${width}" height="${width}" fill="#fff"/><path stroke="#000" stroke-width="${scale}" d="${path}"/></svg>`;
}
