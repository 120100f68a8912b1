/**
 * An external OIDC issuer as a TrustedIssuer: discovery (`/.well-known/openid-configuration`)
 * and its JWKS through jose's remote key set (cached; an unknown `kid` refetches at most once per
 * cooldown, which is how key rotation at the IdP is picked up). Discovery is lazy: an IdP that is
 * down when the gateway starts costs one log line and a retry on a later token, never a crash.
 * Only asymmetric algorithms are ever accepted. Must never log or echo a token.
 */
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OidcIssuerConfig } from '../../config/schema.js';
import { describeError } from '../../errors.js';
import { parseDuration } from '../../util/duration.js';
import type { Logger } from '../log.js';
import { refuseToken, type TrustedIssuer } from './verifier.js';

/** Asymmetric JWS algorithms; HMAC (`HS*`) and `none` are never on this list. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** After a failed discovery, the next attempt waits at least this long (a down IdP is not hammered). */
const DISCOVERY_RETRY_MS = 2_000;
const FETCH_TIMEOUT_MS = 5_000;

interface DiscoveryDocument {
  issuer?: unknown;
  jwks_uri?: unknown;
}

export class OidcKeySource {
  readonly #config: OidcIssuerConfig;
  readonly #logger: Logger;
  #keys?: JWTVerifyGetKey;
  #pending?: Promise<JWTVerifyGetKey>;
  #failedAt = 0;
  #lastFailure = '';

  constructor(config: OidcIssuerConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
  }

  /** Starts discovery in the background (at gateway start); failures are logged, not thrown. */
  warmUp(): void {
    this.#discover().catch(() => {});
  }

  /** The key lookup jose's jwtVerify calls. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.#discover().catch(() => {
      throw refuseToken(`issuer ${this.#config.issuer} is unreachable (${this.#lastFailure}); try again shortly`);
    });
    return keys(header, token);
  };

  #discover(): Promise<JWTVerifyGetKey> {
    if (this.#keys) return Promise.resolve(this.#keys);
    if (this.#pending) return this.#pending;
    if (Date.now() - this.#failedAt < DISCOVERY_RETRY_MS) return Promise.reject(new Error(this.#lastFailure));
    this.#pending = this.#fetchDiscovery()
      .then((jwksUri) => {
        this.#keys = createRemoteJWKSet(jwksUri, {
          cooldownDuration: (parseDuration(this.#config.jwksCooldown) ?? 30) * 1000,
          timeoutDuration: FETCH_TIMEOUT_MS,
        });
        this.#logger.log('info', 'oidc.discovered', { issuer: this.#config.issuer, jwks: jwksUri.href });
        return this.#keys;
      })
      .catch((error: unknown) => {
        this.#failedAt = Date.now();
        this.#lastFailure = describeError(error);
        this.#logger.log('warn', 'oidc.discovery-failed', { issuer: this.#config.issuer, reason: this.#lastFailure, retry: 'on a later token' });
        throw error;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  async #fetchDiscovery(): Promise<URL> {
    const url = `${this.#config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
    } catch (error) {
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      throw new Error(`discovery failed: ${cause?.code ?? describeError(error)}`);
    }
    if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
    const document = (await response.json().catch(() => ({}))) as DiscoveryDocument;
    // The document must name exactly the configured issuer (OIDC Discovery §4.3): a mix-up here
    // would let one IdP's keys vouch for another's tokens.
    if (document.issuer !== this.#config.issuer) throw new Error(`discovery names issuer ${String(document.issuer)}, not the configured one`);
    if (typeof document.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
    return new URL(document.jwks_uri);
  }
}

/** Builds the TrustedIssuer for one `auth.oidc[]` entry. */
export function oidcTrustedIssuer(config: OidcIssuerConfig, logger: Logger): { issuer: TrustedIssuer; keys: OidcKeySource } {
  const keys = new OidcKeySource(config, logger);
  const services = config.services;
  return {
    keys,
    issuer: {
      issuer: config.issuer,
      audience: config.audience,
      key: keys.getKey,
      algorithms: (config.algorithms ?? ASYMMETRIC_ALGORITHMS).filter((alg) => ASYMMETRIC_ALGORITHMS.includes(alg)),
      groupsClaim: config.groupsClaim,
      clockToleranceSeconds: config.clockTolerance ? parseDuration(config.clockTolerance) : undefined,
      requireGroups: true,
      identify: (payload) => serviceIdentity(payload, services),
    },
  };
}

/**
 * A client-credentials token has no person behind it: its subject is the client itself (`sub` =
 * `client_id`, or no `sub` but `client_id`/`azp`). Only clients named in config become a service
 * user; a human token (sub = an account) never matches.
 */
export function serviceIdentity(payload: JWTPayload, services: OidcIssuerConfig['services']): { user: string; groups: string[] } | undefined {
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
  if (!clientId || payload.sub !== clientId) return undefined;
  const service = Object.hasOwn(services, clientId) ? services[clientId] : undefined;
  if (!service) throw refuseToken(`client "${clientId}" is not a configured service (auth.oidc[].services)`);
  return { user: service.user, groups: service.groups };
}
