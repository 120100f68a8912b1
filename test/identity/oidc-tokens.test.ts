import { createPublicKey, generateKeyPairSync, createHmac } from 'node:crypto';
import { SignJWT, exportJWK, importJWK, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { GATEWAY_AUDIENCE, UNCONFIGURED_CLIENT_ID, privateKeyOf, startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js';
import { deviceFlowToken, oidcConfig, startLoggedGateway, until, whoami, type LoggedGateway } from './helpers.js';

let idp: OidcProviderFixture;
let test: LoggedGateway;
beforeAll(async () => {
  idp = await startOidcProvider();
  test = await startLoggedGateway(oidcConfig(idp));
});
afterAll(async () => {
  await test?.stop();
  await idp?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs claims with the IdP's current key, exactly as the IdP would (defaults: a valid token for alice). */
async function asIdp(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const jwk = idp.signingJwk;
  const { iss = idp.issuer, aud = GATEWAY_AUDIENCE, sub = 'alice', exp = now() + 300, iat = now(), ...rest } = { groups: ['dev'], ...claims } as Record<string, unknown>;
  return new SignJWT({ ...rest, iss, aud, sub, exp, iat } as Record<string, unknown>)
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'at+jwt', ...header } as never)
    .sign(await privateKeyOf(jwk));
}

describe('tokens of an external OIDC issuer', () => {
  it('accepts a device-flow access token of the IdP: user, groups and roles from config', async () => {
    const { access_token } = await deviceFlowToken(idp, 'alice');
    const { status, body } = await whoami(test.url, access_token);
    expect(status).toBe(200);
    expect(body).toMatchObject({ user: 'alice', groups: ['dev', 'oncall'], roles: ['approver'], issuer: idp.issuer });
    expect(body.expiresAt).toBe(decodeJwt(access_token).exp);
  });

  it('maps a client-credentials token of a configured client to its service user and groups', async () => {
    const { status, body } = await whoami(test.url, await idp.clientCredentialsToken());
    expect(status).toBe(200);
    expect(body).toMatchObject({ user: 'ci-bot', groups: ['ci'], roles: [] });
  });

  it('refuses a client-credentials token of a client not configured as a service', async () => {
    const { status, body } = await whoami(test.url, await idp.clientCredentialsToken(UNCONFIGURED_CLIENT_ID));
    expect(status).toBe(401);
    expect(body.error.message).toBe(`token refused: client "${UNCONFIGURED_CLIENT_ID}" is not a configured service (auth.oidc[].services)`);
  });

  it('picks up key rotation at the IdP: a token signed with the new kid is accepted, the old key still works', async () => {
    const before = await idp.clientCredentialsToken();
    expect((await whoami(test.url, before)).status).toBe(200);
    const newKey = await idp.rotateKeys();
    const after = await idp.clientCredentialsToken();
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).toBe(newKey.kid);
    expect((await whoami(test.url, after)).body).toMatchObject({ user: 'ci-bot' });
    expect((await whoami(test.url, before)).status).toBe(200);
  });
});

describe('a battery of bad tokens: each refused with its own reason, none ever logged', () => {
  const used: string[] = [];
  const cases: [string, () => Promise<string>, string][] = [
    ['expired', () => asIdp({ exp: now() - 120, iat: now() - 600 }), 'expired'],
    ['not yet valid', () => asIdp({ nbf: now() + 600 }), 'not yet valid'],
    ['wrong issuer', () => asIdp({ iss: 'https://idp.attacker.example' }), 'unknown issuer'],
    ['wrong audience', () => asIdp({ aud: 'some-other-api' }), 'wrong audience'],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: idp.issuer, aud: GATEWAY_AUDIENCE, sub: 'alice', groups: ['platform-admins'], exp: now() + 300 })}.`, 'unsigned token (alg "none")'],
    [
      'HS256 signed with the RSA public key',
      async () => {
        const pem = createPublicKey({ key: idp.signingJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
        const signingInput = `${b64({ alg: 'HS256', kid: idp.signingJwk.kid, typ: 'JWT' })}.${b64({ iss: idp.issuer, aud: GATEWAY_AUDIENCE, sub: 'alice', groups: ['platform-admins'], exp: now() + 300 })}`;
        return `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
      },
      'algorithm HS256 not allowed for this issuer',
    ],
    [
      'unknown kid',
      async () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const key = (await importJWK(await exportJWK(privateKey), 'RS256')) as CryptoKey;
        return new SignJWT({ groups: ['platform-admins'] }).setProtectedHeader({ alg: 'RS256', kid: 'k-attacker' }).setIssuer(idp.issuer).setAudience(GATEWAY_AUDIENCE).setSubject('alice').setExpirationTime('5m').sign(key);
      },
      'no key of the issuer matches the token (unknown kid)',
    ],
    [
      'tampered payload',
      async () => {
        const [header, payload, signature] = (await asIdp({ groups: ['dev'] })).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        return `${header}.${b64({ ...claims, groups: ['dev', 'platform-admins'] })}.${signature}`;
      },
      'bad signature',
    ],
    ['missing groups claim', () => asIdp({ groups: undefined }), 'groups claim "groups" missing'],
    ['groups claim not a list', () => asIdp({ groups: 'platform-admins' }), 'groups claim "groups" is not a list of strings'],
  ];

  for (const [name, make, reason] of cases) {
    it(`${name} → "${reason}" over HTTP and over the session WebSocket`, async () => {
      const token = await make();
      used.push(token);
      const { status, body } = await whoami(test.url, token);
      expect(status).toBe(401);
      expect(body.error).toEqual({ code: 'UNAUTHENTICATED', message: `token refused: ${reason}` });
      const client = new GatewayClient({ url: test.url, token });
      await expect(client.openSession({ connection: 'shell' })).rejects.toThrow(`token refused: ${reason}`);
    });
  }

  it('logged refusals name the reason but never contain a token or its signature', () => {
    const refusals = test.logs.filter((line) => line.includes('auth.refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(cases.length);
    for (const token of used) {
      const signature = token.split('.')[2];
      for (const line of test.logs) {
        expect(line).not.toContain(token);
        if (signature) expect(line).not.toContain(signature);
        expect(line).not.toContain(token.split('.')[1]!);
      }
    }
  });
});

describe('an IdP that is down when the gateway starts', () => {
  it('does not stop the gateway: one log line, tokens refused with a reason, then discovery retried lazily', async () => {
    idp.available = false;
    const late = await startLoggedGateway(oidcConfig(idp));
    try {
      await until(() => late.logs.some((line) => line.includes('oidc.discovery-failed')), 5000, 'the discovery failure log line');
      expect(late.logs.filter((line) => line.includes('oidc.discovery-failed'))).toHaveLength(1);
      const token = await asIdp({});
      const refused = await whoami(late.url, token);
      expect(refused.status).toBe(401);
      expect(refused.body.error.message).toMatch(/^token refused: issuer http:\/\/127\.0\.0\.1:\d+ is unreachable \(discovery answered HTTP 503\); try again shortly$/);
      idp.available = true;
      const accepted = await until(async () => {
        const answer = await whoami(late.url, token);
        return answer.status === 200 ? answer : undefined;
      }, 8000, 'the gateway to retry discovery');
      expect(accepted!.body).toMatchObject({ user: 'alice', groups: ['dev'] });
    } finally {
      idp.available = true;
      await late.stop();
    }
  });
});
