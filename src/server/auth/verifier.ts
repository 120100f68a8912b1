/**
 * Verifies bearer tokens. Each trusted issuer is configuration: its name, audience, key source
 * (the gateway's own key, or an OIDC issuer's JWKS), pinned algorithms and groups claim. A token
 * is matched to its issuer by the unverified `iss`, then verified only against that issuer's keys.
 * Every refusal is an UNAUTHENTICATED GatewayError with a one-line reason; the token itself is
 * never part of a message.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GatewayError } from '../../errors.js';
import type { Identity } from './identity.js';

export interface TrustedIssuer {
  issuer: string;
  audience: string | string[];
  /** A fixed key, or a key lookup (jose's createRemoteJWKSet) for external issuers. */
  key: CryptoKey | JWTVerifyGetKey;
  algorithms: string[];
  /** Dotted path to the groups array in the claims (`groups`, `realm_access.roles`). */
  groupsClaim: string;
  clockToleranceSeconds?: number;
  /** Extra checks on verified claims (e.g. revocation); throw a GatewayError to refuse. */
  check?: (payload: JWTPayload) => void | Promise<void>;
  /** Refuse a token whose groups claim is absent (instead of treating it as "no groups"). */
  requireGroups?: boolean;
  /** Maps verified claims to a user and groups other than `sub` + groups claim (service clients). */
  identify?: (payload: JWTPayload) => { user: string; groups: string[] } | undefined;
}

/** A check every verified token goes through, whatever its issuer (agent-token revocation). */
export type TokenCheck = (payload: JWTPayload, issuer: TrustedIssuer) => void | Promise<void>;

function refuse(reason: string, cause?: unknown): GatewayError {
  return new GatewayError('UNAUTHENTICATED', `token refused: ${reason}`, { cause });
}

/** The one-line refusal every verifier check uses. */
export function refuseToken(reason: string): GatewayError {
  return refuse(reason);
}

export function readClaimPath(payload: JWTPayload, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), payload);
}

function reasonFor(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'wrong audience';
    if (error.claim === 'iss') return 'wrong issuer';
    if (error.claim === 'nbf') return 'not yet valid';
    if (error.claim === 'iat') return 'issued in the future';
    return `claim "${error.claim}" invalid (${error.reason})`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches the token (unknown kid)';
  if (error instanceof joseErrors.JWKSTimeout) return "issuer's key set did not answer in time";
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'malformed token';
  if (error instanceof joseErrors.JOSENotSupported) return 'unsupported token algorithm or key';
  return 'could not be verified';
}

export class TokenVerifier {
  readonly #issuers = new Map<string, TrustedIssuer>();
  readonly #checks: TokenCheck[] = [];

  constructor(issuers: TrustedIssuer[]) {
    for (const issuer of issuers) this.addIssuer(issuer);
  }

  /** Trusts one more issuer; an issuer URL may be configured once. */
  addIssuer(issuer: TrustedIssuer): void {
    if (this.#issuers.has(issuer.issuer)) throw new TypeError(`issuer ${issuer.issuer} is already trusted`);
    this.#issuers.set(issuer.issuer, issuer);
  }

  /** Adds a check run on every verified token after its issuer's own check. */
  addCheck(check: TokenCheck): void {
    this.#checks.push(check);
  }

  /** Verifies `Authorization` header text or a bare token. */
  async verifyAuthorization(header: string | undefined): Promise<Identity> {
    if (!header) throw refuse('missing (send Authorization: Bearer <token>)');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw refuse('Authorization header must be "Bearer <token>"');
    return this.verify(match[1]!);
  }

  async verify(token: string): Promise<Identity> {
    let unverified: JWTPayload;
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverified = decodeJwt(token);
    } catch (error) {
      throw refuse('malformed token', error);
    }
    if (!alg || alg === 'none') throw refuse('unsigned token (alg "none")');
    const trusted = unverified.iss ? this.#issuers.get(unverified.iss) : undefined;
    if (!trusted) throw refuse(unverified.iss ? 'unknown issuer' : 'no issuer');
    if (!trusted.algorithms.includes(alg)) throw refuse(`algorithm ${alg} not allowed for this issuer`);

    let payload: JWTPayload;
    try {
      const options = {
        issuer: trusted.issuer,
        audience: trusted.audience,
        algorithms: trusted.algorithms,
        clockTolerance: trusted.clockToleranceSeconds ?? 0,
        requiredClaims: ['exp', 'sub'],
      };
      const result =
        typeof trusted.key === 'function'
          ? await jwtVerify(token, trusted.key, options)
          : await jwtVerify(token, trusted.key, options);
      payload = result.payload;
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw refuse(reasonFor(error), error);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw refuse('no subject');
    await trusted.check?.(payload);
    for (const check of this.#checks) await check(payload, trusted);
    return this.#identityFrom(payload, trusted);
  }

  #identityFrom(payload: JWTPayload, trusted: TrustedIssuer): Identity {
    const mapped = trusted.identify?.(payload);
    let groups: string[];
    if (mapped) {
      groups = mapped.groups;
    } else {
      const groupsValue = readClaimPath(payload, trusted.groupsClaim);
      if (groupsValue === undefined && trusted.requireGroups) throw refuse(`groups claim "${trusted.groupsClaim}" missing`);
      if (groupsValue !== undefined && (!Array.isArray(groupsValue) || groupsValue.some((g) => typeof g !== 'string'))) {
        throw refuse(`groups claim "${trusted.groupsClaim}" is not a list of strings`);
      }
      groups = (groupsValue as string[] | undefined) ?? [];
    }
    const act = payload.act as { sub?: unknown } | undefined;
    const connections = Array.isArray(payload.connections) ? payload.connections.filter((c): c is string => typeof c === 'string') : undefined;
    return {
      user: mapped?.user ?? payload.sub!,
      groups,
      actor: typeof act?.sub === 'string' ? act.sub : undefined,
      connections,
      issuer: trusted.issuer,
      tokenId: payload.jti,
      expiresAt: payload.exp,
    };
  }
}
