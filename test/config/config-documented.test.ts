// Every environment variable the configuration reads appears in the README's table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

it('documents every environment variable with its default in the README', () => {
  const root = join(__dirname, '..', '..', '..');
  const source = readFileSync(join(root, 'src', 'config', 'config.ts'), 'utf8');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const names = new Set([...source.matchAll(/env(?:\.|, ')([A-Z][A-Z0-9_]+)/g)].map((match) => match[1]!));
  assert.ok(names.size >= 20, `found only ${names.size} variables in config.ts`);
  for (const name of names) assert.match(readme, new RegExp(`^\\| \`${name}\` \\| [^|]+ \\|`, 'm'), `${name} is missing from the README's configuration table`);
});
