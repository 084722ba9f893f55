// Copies the latest bench table (bench/results/latest.txt) into the README
// between its bench-table markers, so the README shows this machine's figures.
// Run after `npm run bench`: node dist/bench/readme-table.js
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const latest = readFileSync(join(root, 'bench', 'results', 'latest.txt'), 'utf8');
const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');

// The summary: machine line, sizes, baseline, generator ceiling, the cell table, and the micro-benchmarks.
const lines = latest.split('\n');
const cellHeader = lines.findIndex((line) => line.startsWith('cell'));
const cellsEnd = lines.findIndex((line, i) => i > cellHeader && line.trim() === '');
const microStart = lines.findIndex((line) => line.startsWith('micro-benchmarks'));
const microEnd = microStart === -1 ? -1 : lines.findIndex((line, i) => i > microStart && line.trim() === '');
const summary = [...lines.slice(0, cellsEnd), ...(microStart === -1 ? [] : ['', ...lines.slice(microStart, microEnd === -1 ? undefined : microEnd)])].join('\n');

const start = '<!-- bench-table:start -->';
const end = '<!-- bench-table:end -->';
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from === -1 || to === -1) throw new Error('README.md has no bench-table markers');
writeFileSync(readmePath, `${readme.slice(0, from + start.length)}\n\`\`\`\n${summary.trimEnd()}\n\`\`\`\n${readme.slice(to)}`);
console.log('README.md: bench table updated from bench/results/latest.txt');
