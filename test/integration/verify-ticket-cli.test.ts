// The offline gate script, as a gate would run it: `node
// dist/src/tickets/verify-ticket-cli.js --key public-key.pem <ticket>`,
// answering by exit code with the public key alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signTicket, ticketPayload } from '../../src/tickets';
import { tempDir } from '../helpers/temp-dir';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const order = { orderId: 'G1234.k3Jd93hfS0a', saleId: 'G1234', userId: 'alice', updatedAt: 1_800_000_123_456 };
const payload = ticketPayload(order, { name: 'Train G1234', opensAt: null, closesAt: null });

describe('npm run verify-ticket', () => {
  it('verify-ticket checks a ticket offline with the public key alone', () => {
    const dir = tempDir('spike-verify-');
    const keyFile = join(dir, 'public-key.pem');
    writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const cli = join(__dirname, '..', '..', 'src', 'tickets', 'verify-ticket-cli.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    const ticket = signTicket(payload, privateKey);
    const valid = run('--key', keyFile, ticket);
    assert.equal(valid.status, 0, valid.stderr);
    assert.equal(JSON.parse(valid.stdout).orderId, order.orderId);
    const forged = run('--key', keyFile, signTicket(payload, generateKeyPairSync('ed25519').privateKey));
    assert.equal(forged.status, 1);
    assert.equal(JSON.parse(forged.stdout).valid, false);
    assert.equal(run(ticket).status, 2, 'no key: usage');
  });
});
