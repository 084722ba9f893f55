// Who the buyer is: the one entry of the auth room. BUYER_AUTH=none trusts the
// userId a request names (demos, `ab`); hmac and jwt take the buyer from a
// signed bearer token and refuse a request that names anyone else.
import { isoTime, spikeError, type SpikeError } from '../errors/errors';
import { TokenRefusal, verifyHmacToken } from './hmac-token';
import { createJwtVerifier, type JwtOptions } from './jwt-verifier';

export type BuyerAuthMode = 'none' | 'hmac' | 'jwt';

export interface BuyerAuthConfig {
  readonly mode: BuyerAuthMode;
  /** BUYER_AUTH_SECRET, for hmac. */
  readonly secret: string | undefined;
  readonly jwt: JwtOptions | undefined;
}

export interface BuyerAuth {
  readonly mode: BuyerAuthMode;
  /**
   * The acting buyer. With none: the id the request claims, unchecked (the
   * caller validates its form). With a token: the token's `sub`; a claimed id
   * that differs is refused. Throws 401 buyer_unauthorized or buyer_token_expired.
   */
  identify(authorization: string, claimed: unknown): Promise<unknown>;
}

const BUYER_ID = /^[A-Za-z0-9_-]{1,64}$/;

function refused(reason: string): SpikeError {
  return spikeError('BUYER_UNAUTHORIZED', { reason });
}

export async function openBuyerAuth(config: BuyerAuthConfig): Promise<BuyerAuth> {
  if (config.mode === 'none') return { mode: 'none', identify: async (_authorization, claimed) => claimed };
  const verify = config.mode === 'hmac' ? async (token: string) => verifyHmacToken(config.secret!, token) : await createJwtVerifier(config.jwt!);
  return {
    mode: config.mode,
    async identify(authorization, claimed) {
      const match = /^Bearer +(\S+)$/i.exec(authorization);
      if (!match) throw refused('this route needs the buyer\'s token: send Authorization: Bearer <token> as issued by the site\'s login');
      let claims: { sub: unknown; exp: unknown };
      try {
        claims = await verify(match[1]!);
      } catch (error) {
        if (!(error instanceof TokenRefusal)) throw error;
        throw error.expiredAt !== undefined ? spikeError('BUYER_TOKEN_EXPIRED', { expiredAt: isoTime(error.expiredAt) }) : refused(error.message);
      }
      if (typeof claims.sub !== 'string' || !BUYER_ID.test(claims.sub)) throw refused('the buyer token\'s sub must be a buyer id of 1-64 characters of A-Z a-z 0-9 _ -');
      if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw refused('the buyer token needs exp (epoch seconds)');
      if (claims.exp * 1000 <= Date.now()) {
        throw spikeError('BUYER_TOKEN_EXPIRED', { expiredAt: isoTime(claims.exp * 1000) });
      }
      if (claimed !== undefined && claimed !== claims.sub) {
        throw refused(`the buyer token is for "${claims.sub}", but the request names "${String(claimed).slice(0, 64)}"; leave userId out or send the token's own buyer`);
      }
      return claims.sub;
    },
  };
}
