// A hand-written SVG of the run: one panel per cell, throughput (req/s, left
// axis) and p99 latency (ms, right axis) per slice over time, the selling
// phase shaded, and the bare-uWS baseline as a dashed line. No dependencies.
import { runFailures, type BenchResults } from './report';
import type { SeriesPoint } from './spike-cell';

const W = 460;
const H = 230;
const M = { left: 62, right: 52, top: 30, bottom: 34 };
const THROUGHPUT = '#1f77b4';
const P99 = '#d62728';

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis maximum: 1, 2 or 5 times a power of ten, at or above value. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const k = (v: number) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(1)}`);

interface Panel {
  title: string;
  series: SeriesPoint[];
  sellingUntil: number | null;
  note?: string;
}

function panel(p: Panel, x0: number, y0: number, scale: { t: number; rps: number; p99: number }, baselineRps: number | null): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (t: number) => x0 + M.left + (t / scale.t) * pw;
  const sy = (v: number) => y0 + M.top + ph - (v / scale.rps) * ph;
  const sp = (v: number) => y0 + M.top + ph - (Math.min(v, scale.p99) / scale.p99) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + M.left}" y="${y0 + 18}" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  parts.push(`<rect x="${x0 + M.left}" y="${y0 + M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  if (p.sellingUntil !== null && p.sellingUntil > 0) {
    parts.push(`<rect x="${sx(0)}" y="${y0 + M.top}" width="${Math.max(1, sx(Math.min(p.sellingUntil, scale.t)) - sx(0))}" height="${ph}" fill="#2ca02c" fill-opacity="0.12"/>`);
    parts.push(`<text x="${sx(0) + 3}" y="${y0 + M.top + 12}" font-size="10" fill="#2ca02c">selling</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (scale.rps * i) / 4;
    const y = sy(v);
    parts.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + M.left - 4}" y="${y + 4}" font-size="10" text-anchor="end" fill="${THROUGHPUT}">${k(v)}</text>`);
    parts.push(`<text x="${x0 + M.left + pw + 4}" y="${sp((scale.p99 * i) / 4) + 4}" font-size="10" fill="${P99}">${k((scale.p99 * i) / 4)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const t = (scale.t * i) / 5;
    parts.push(`<text x="${sx(t)}" y="${y0 + M.top + ph + 14}" font-size="10" text-anchor="middle">${+t.toFixed(1)}</text>`);
  }
  parts.push(`<text x="${x0 + M.left + pw / 2}" y="${y0 + H - 4}" font-size="10" text-anchor="middle">seconds</text>`);
  parts.push(`<text x="${x0 + 12}" y="${y0 + M.top + ph / 2}" font-size="10" fill="${THROUGHPUT}" transform="rotate(-90 ${x0 + 12} ${y0 + M.top + ph / 2})" text-anchor="middle">req/s</text>`);
  parts.push(`<text x="${x0 + W - 8}" y="${y0 + M.top + ph / 2}" font-size="10" fill="${P99}" transform="rotate(90 ${x0 + W - 8} ${y0 + M.top + ph / 2})" text-anchor="middle">p99 ms</text>`);
  if (baselineRps) {
    parts.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + pw}" y1="${sy(baselineRps)}" y2="${sy(baselineRps)}" stroke="#555" stroke-dasharray="5 4"/>`);
    parts.push(`<text x="${x0 + M.left + pw - 2}" y="${sy(baselineRps) - 3}" font-size="10" text-anchor="end" fill="#555">bare uWS ${k(baselineRps)}</text>`);
  }
  if (p.series.length > 0) {
    const line = (pick: (s: SeriesPoint) => number, y: (v: number) => number) => p.series.map((s) => `${sx(s.t).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${line((s) => s.rps, sy)}" fill="none" stroke="${THROUGHPUT}" stroke-width="2"/>`);
    parts.push(`<polyline points="${line((s) => s.p99Ms, sp)}" fill="none" stroke="${P99}" stroke-width="1.5"/>`);
    for (const s of p.series) parts.push(`<circle cx="${sx(s.t).toFixed(1)}" cy="${sy(s.rps).toFixed(1)}" r="2.5" fill="${THROUGHPUT}"/>`);
    // A one-slice cell has no line to draw: its p99 shows as a point.
    for (const s of p.series) parts.push(`<circle cx="${sx(s.t).toFixed(1)}" cy="${sp(s.p99Ms).toFixed(1)}" r="2" fill="${P99}"/>`);
  }
  if (p.note) parts.push(`<text x="${x0 + M.left + 8}" y="${y0 + M.top + ph / 2}" font-size="12" fill="#b00">${esc(p.note)}</text>`);
  return parts.join('\n');
}

export function renderChart(results: BenchResults): string {
  const baselineRps = results.baseline.load?.rps ?? null;
  const panels: Panel[] = [];
  if (results.baseline.series) panels.push({ title: 'baseline: bare uWebSockets.js', series: results.baseline.series, sellingUntil: null });
  for (const cell of results.cells) {
    const ratio = cell.load && baselineRps ? ` (${(cell.load.rps / baselineRps).toFixed(2)}× baseline)` : '';
    // "audit pass" only for a cell that failed nothing: an audit that passed in a run that failed its bound says which check failed.
    const failed = runFailures({ ...results, cells: [cell], cluster: null, tickets: null });
    const verdict = cell.status !== 'ok' ? '' : failed.length > 0 ? `, FAILED: ${failed.map((f) => f.slice(cell.cell.length + 2).split(' (')[0]).join('; ')}` : ', audit pass';
    panels.push({
      title: `${cell.cell}${ratio}${verdict}`,
      series: cell.series ?? [],
      sellingUntil: cell.soldOutAtMs != null ? cell.soldOutAtMs / 1000 : null,
      note: cell.status === 'ok' ? undefined : 'did not run: see latest.json',
    });
  }
  const all = panels.flatMap((p) => p.series);
  const scale = {
    t: Math.max(1, ...all.map((s) => s.t + 0.5)),
    rps: niceMax(Math.max(baselineRps ?? 0, ...all.map((s) => s.rps)) * 1.05),
    p99: niceMax(Math.max(1, ...all.map((s) => s.p99Ms))),
  };
  const columns = 2;
  const rows = Math.ceil(panels.length / columns);
  const top = 48;
  const width = W * columns;
  const height = top + rows * H + 10;
  const m = results.machine;
  const body = panels.map((p, i) => panel(p, (i % columns) * W, top + Math.floor(i / columns) * H, scale, p.title.startsWith('baseline') ? null : baselineRps)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="15" font-weight="bold">spike: ${esc(`${results.settings.users.toLocaleString('en-US')} buyers, ${results.settings.tickets.toLocaleString('en-US')} tickets per cell`)}</text>
<text x="10" y="38" font-size="11" fill="#444">${esc(`${results.startedAt}; ${m.cpu}, ${m.cores} cores; ${results.generator}, ${results.settings.connections} connections; one point per ${results.settings.sliceMs} ms slice; `)}<tspan fill="${THROUGHPUT}">req/s</tspan>, <tspan fill="${P99}">p99 ms</tspan></text>
${body}
</svg>
`;
}
