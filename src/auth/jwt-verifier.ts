// BUYER_AUTH=jwt: tokens from an identity provider, verified with `jose`
// against a public key (PEM) or a JWKS file read once at start-up.
import { readFileSync } from 'node:fs';
import { TokenRefusal } from './hmac-token';

export interface JwtOptions {
  /** A PEM public key (SPKI) or a JWKS JSON file. */
  readonly keyFile: string;
  /** For a PEM key: the one algorithm accepted, e.g. RS256, ES256, EdDSA. */
  readonly algorithm: string;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
}

export type JwtVerify = (token: string) => Promise<{ sub: unknown; exp: unknown }>;

export async function createJwtVerifier(options: JwtOptions): Promise<JwtVerify> {
  // jose 6 is an ES module; this CommonJS build loads it with a dynamic import.
  const jose = await import('jose');
  const text = readFileSync(options.keyFile, 'utf8');
  let key: Parameters<typeof jose.jwtVerify>[1];
  let algorithms: string[] | undefined;
  if (text.trimStart().startsWith('{')) {
    key = jose.createLocalJWKSet(JSON.parse(text));
  } else {
    key = await jose.importSPKI(text, options.algorithm);
    algorithms = [options.algorithm];
  }
  return async (token) => {
    try {
      const { payload } = await jose.jwtVerify(token, key, { algorithms, issuer: options.issuer, audience: options.audience, requiredClaims: ['sub', 'exp'] });
      return { sub: payload.sub, exp: payload.exp };
    } catch (error) {
      if (error instanceof jose.errors.JWTExpired) throw new TokenRefusal('the buyer token expired', Number(error.payload.exp) * 1000);
      const code = (error as { code?: string }).code ?? 'ERR_JWT_INVALID';
      throw new TokenRefusal(`the buyer token does not verify (${code}: ${(error as Error).message})`);
    }
  };
}
