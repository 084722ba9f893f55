// The tickets' signing key, from TICKET_SIGNING_KEY (a PEM or a path), or
// made once into DATA_DIR when that is unset. The primary resolves it before
// forking and hands the workers the same setting, so every process signs
// with one key and a restart keeps it.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519PrivateKey } from './ticket-codec';

export const GENERATED_KEY_FILE = 'ticket-signing-key.pem';

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  /** The setting to hand the workers: a PEM, or the path it was read from. */
  readonly setting: string;
}

function isPem(setting: string): boolean {
  return setting.trimStart().startsWith('-----BEGIN');
}

function fromPem(pem: string, setting: string, where: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = ed25519PrivateKey(pem);
  } catch (error) {
    throw new Error(`TICKET_SIGNING_KEY (${where}) is not usable: ${(error as Error).message}. Make one with: openssl genpkey -algorithm ed25519`);
  }
  const publicKeyPem = String(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKeyPem, setting };
}

/** Reads the key a worker was handed (always set by the primary). */
export function readSigningKey(setting: string): SigningKey {
  if (isPem(setting)) return fromPem(setting, setting, 'a PEM');
  let pem: string;
  try {
    pem = readFileSync(setting, 'utf8');
  } catch (error) {
    throw new Error(`TICKET_SIGNING_KEY names ${setting}, which cannot be read: ${(error as Error).message}`);
  }
  return fromPem(pem, setting, setting);
}

/** The primary's side: the configured key, or DATA_DIR's, made on first start. */
export function resolveSigningKey(setting: string | null, dataDir: string, log: (line: string) => void): SigningKey {
  if (setting !== null) return readSigningKey(setting);
  const path = join(dataDir, GENERATED_KEY_FILE);
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dataDir, { recursive: true });
    // 'wx' fails if another primary made it meanwhile; then that one is read below.
    try {
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      log(`TICKET_SIGNING_KEY was not set; generated an Ed25519 ticket signing key into ${path} (keep it: tickets signed with it stop verifying without it)`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readSigningKey(path);
}
