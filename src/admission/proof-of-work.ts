// Proof of work for joining (after mCaptcha and ALTCHA): the server hands out
// a signed, expiring challenge; the client finds a nonce such that
// SHA-256(challenge || nonce) starts with `difficulty` zero bits; the server
// checks it with one hash. Spent challenges are remembered by the ledger
// until they expire (the join spends them), so one solution joins once.
import { createHash, randomBytes } from 'node:crypto';
import { spikeError } from '../errors/errors';
import type { TokenSigner } from './signed-token';

export interface Challenge {
  readonly challenge: string;
  readonly difficulty: number;
  readonly expiresAt: number;
}

export interface SolvedChallenge {
  readonly id: string;
  readonly expiresAt: number;
}

/** Joins per second that add one bit of difficulty, for each doubling. */
export const JOINS_PER_EXTRA_BIT = 1000;

/** The sale's difficulty at this join rate: one more bit per doubling above JOINS_PER_EXTRA_BIT, up to maxDifficulty. */
export function difficultyFor(base: number, max: number, joinsPerSecond: number): number {
  if (base === 0) return 0;
  const extra = joinsPerSecond > JOINS_PER_EXTRA_BIT ? Math.floor(Math.log2(joinsPerSecond / JOINS_PER_EXTRA_BIT)) + 1 : 0;
  return Math.min(Math.max(base, max), base + extra);
}

export function leadingZeroBits(hash: Buffer): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

export function powHash(challenge: string, nonce: string): Buffer {
  return createHash('sha256').update(challenge).update(nonce).digest();
}

export function issueChallenge(signer: TokenSigner, saleId: string, difficulty: number, ttlMs: number, now: number): Challenge {
  const expiresAt = now + ttlMs;
  return { challenge: signer.sign([saleId, difficulty, expiresAt, randomBytes(12).toString('base64url')]), difficulty, expiresAt };
}

/** Checks the signature, the sale, the expiry and the hash; throws the refusal, or answers what the ledger must mark spent. */
export function checkSolution(signer: TokenSigner, saleId: string, challenge: unknown, nonce: unknown, now: number): SolvedChallenge {
  if (challenge === undefined && nonce === undefined) throw spikeError('POW_REQUIRED', { saleId });
  if (typeof challenge !== 'string' || typeof nonce !== 'string' || nonce.length < 1 || nonce.length > 64) {
    throw spikeError('POW_INVALID', { reason: 'send "challenge" (from GET /api/sales/:id/queue/challenge) and "nonce" (a string of 1-64 characters)' });
  }
  const fields = signer.open(challenge);
  if (!fields || fields.length !== 4 || fields[0] !== saleId) throw spikeError('POW_INVALID', { reason: `the challenge was not issued by this server for sale "${saleId}"` });
  const difficulty = Number(fields[1]);
  const expiresAt = Number(fields[2]);
  if (now >= expiresAt) throw spikeError('POW_EXPIRED', { expiredAt: new Date(expiresAt).toISOString() });
  if (leadingZeroBits(powHash(challenge, nonce)) < difficulty) throw spikeError('POW_INVALID', { reason: `SHA-256(challenge || nonce) must start with ${difficulty} zero bits` });
  return { id: fields[3]!, expiresAt };
}

/** Finds a nonce by brute force: for tests and the bench (the page solves in a Web Worker). */
export function solve(challenge: string, difficulty: number): string {
  for (let n = 0; ; n++) {
    const nonce = n.toString(36);
    if (leadingZeroBits(powHash(challenge, nonce)) >= difficulty) return nonce;
  }
}
