// Reading the README's sections and tables, for the tests that hold the docs
// and the code to each other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = join(__dirname, '..', '..', '..', 'README.md');

/** The text from a heading line (e.g. "## Errors") to the next heading of the same or higher level, code blocks included. */
export function readmeSection(heading: string): string {
  const lines = readFileSync(README, 'utf8').split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) throw new Error(`the README has no "${heading}" section`);
  const level = heading.split(' ')[0]!.length;
  let inFence = false;
  let end = start + 1;
  for (; end < lines.length; end++) {
    const line = lines[end]!;
    if (line.startsWith('```')) inFence = !inFence;
    const hashes = /^(#{1,6}) /.exec(line);
    // "# a comment" inside a shell block is no heading.
    if (!inFence && hashes && hashes[1]!.length <= level) break;
  }
  return lines.slice(start + 1, end).join('\n');
}

/** The cells of every body row of the markdown tables in the text (header and rule rows left out). */
export function tableRows(text: string): string[][] {
  const rows: string[][] = [];
  const lines = text.split('\n').filter((line) => line.startsWith('|'));
  for (let i = 0; i < lines.length; i++) {
    const cells = lines[i]!.slice(1, -1).split('|').map((cell) => cell.trim());
    const isRule = cells.every((cell) => /^:?-+:?$/.test(cell));
    const isHeader = i + 1 < lines.length && /^\|\s*:?-+/.test(lines[i + 1]!);
    if (!isRule && !isHeader) rows.push(cells);
  }
  return rows;
}

/** The `NAME` in the first cell of each table row. */
export function tableKeys(text: string): Set<string> {
  return new Set(tableRows(text).map(([first]) => /^`([^`]+)`$/.exec(first ?? '')?.[1]).filter((key): key is string => key !== undefined));
}
