// Every error code the server can send appears, with its status, in the
// README's error table, and the table names no code that does not exist.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ERRORS } from '../../../src/errors/errors';
import { readmeSection, tableRows } from '../../helpers/readme';

it('documents every error code with its status in the README, and nothing else', () => {
  const rows = tableRows(readmeSection('## Errors'));
  const documented = rows.map(([code, status]) => `${code} ${status}`).sort();
  // Several message templates may share one code (sold_out, invalid_field): the README lists each code once.
  const defined = [...new Set(Object.values(ERRORS).map((spec) => `\`${spec.code}\` ${spec.status}`))].sort();
  assert.deepEqual(documented, defined);
});
