// Every error code the server can send appears, with its status, in the README's error table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ERRORS } from '../../src/errors/errors';

it('documents every error code with its status in the README', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  for (const [name, spec] of Object.entries(ERRORS)) {
    const row = new RegExp(`^\\| \`${spec.code}\` \\| ${spec.status} \\|`, 'm');
    assert.match(readme, row, `${name} (${spec.code}, ${spec.status}) is missing from the README's error table`);
  }
});
