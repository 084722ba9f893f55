// `npm run verify-ticket -- --key public-key.pem <ticket>`: checks a ticket
// offline, with the server's public key alone (GET /api/tickets/public-key),
// as a reference for gate software. Exit 0 and the payload when the
// signature verifies, 1 and the reason when it does not, 2 for bad usage.
// Only a signature is checked here: whether the ticket was already used is
// the server's to say (POST /api/checkins).
import { readFileSync } from 'node:fs';
import { ed25519PublicKey, TicketInvalidError, verifyTicket } from './ticket-codec';

const USAGE = 'usage: npm run verify-ticket -- --key <public-key.pem> <ticket>   (the key from GET /api/tickets/public-key)';

function main(args: string[]): number {
  const keyAt = args.indexOf('--key');
  const keyPath = keyAt >= 0 ? args[keyAt + 1] : undefined;
  const rest = args.filter((_, i) => i !== keyAt && i !== keyAt + 1);
  if (!keyPath || rest.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  let publicKey;
  try {
    publicKey = ed25519PublicKey(readFileSync(keyPath, 'utf8'));
  } catch (error) {
    console.error(`cannot use ${keyPath} as the public key: ${(error as Error).message}`);
    return 2;
  }
  try {
    const payload = verifyTicket(rest[0]!.trim(), publicKey);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    console.log(JSON.stringify({ valid: true, ...payload, issuedAt: iso(payload.issuedAt), opensAt: iso(payload.opensAt), closesAt: iso(payload.closesAt) }, null, 2));
    return 0;
  } catch (error) {
    if (!(error instanceof TicketInvalidError)) throw error;
    console.log(JSON.stringify({ valid: false, reason: error.message }));
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
