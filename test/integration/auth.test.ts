/** Every request is authenticated first; a bad token is refused with its own one-line reason. */
import { generateKeyPair, SignJWT, exportJWK, calculateJwkThumbprint } from 'jose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway;
let otherGateway: TestGateway;
beforeAll(async () => {
  test = await startGateway();
  otherGateway = await startGateway();
});
afterAll(async () => {
  await test.stop();
  await otherGateway.stop();
});

async function signed(claims: Record<string, unknown>, options: { key?: CryptoKey; alg?: string; kid?: string } = {}): Promise<string> {
  const key = options.key ?? test.gateway.signingKey.privateKey;
  return new SignJWT({ groups: ['dev'], ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'EdDSA', kid: options.kid ?? test.gateway.signingKey.kid })
    .sign(key);
}

const now = () => Math.floor(Date.now() / 1000);
const valid = () => ({ iss: 'hoop-gateway', aud: 'hoop-gateway', sub: 'alice', exp: now() + 600, iat: now() });

describe('token refusal', () => {
  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no token at all', async () => undefined, /no token: set HOOP_TOKEN/],
    ['an expired token', () => signed({ ...valid(), exp: now() - 60 }), /token refused: expired/],
    ['a token for another audience', () => signed({ ...valid(), aud: 'someone-else' }), /token refused: wrong audience/],
    ['a token from an unknown issuer', () => signed({ ...valid(), iss: 'https://evil.example' }), /token refused: unknown issuer/],
    ['a token that is not yet valid', () => signed({ ...valid(), nbf: now() + 3600 }), /token refused: not yet valid/],
    ['a token without expiry', () => signed({ iss: 'hoop-gateway', aud: 'hoop-gateway', sub: 'alice' }), /token refused: .*exp/],
    [
      'a token with a tampered payload',
      async () => {
        const [header, payload, signature] = (await signed(valid())).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        claims.sub = 'admin';
        return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      },
      /token refused: bad signature/,
    ],
    ['a token signed by another gateway', () => otherGateway.token('alice'), /token refused: bad signature/],
    [
      'an unsigned token (alg none)',
      async () => `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(valid())).toString('base64url')}.`,
      /token refused: unsigned token/,
    ],
    [
      'a token signed with another algorithm',
      async () => {
        const { privateKey, publicKey } = await generateKeyPair('ES256');
        return signed(valid(), { key: privateKey, alg: 'ES256', kid: await calculateJwkThumbprint(await exportJWK(publicKey)) });
      },
      /token refused: algorithm ES256 not allowed/,
    ],
    ['garbage', async () => 'not-a-jwt', /token refused: malformed token/],
  ];

  for (const [name, makeToken, reason] of cases) {
    it(`refuses ${name} with a one-line reason and runs nothing`, async () => {
      const token = await makeToken();
      const marker = `/tmp/hoop-auth-test-${process.pid}-${Math.random()}`;
      const result = await hoopShell(test, ['exec', 'shell', '--', `touch ${marker}`], { token: token ?? '' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(reason);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toBe('');
      const { existsSync } = await import('node:fs');
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('refuses the WebSocket upgrade with 401 and the reason before any session exists', async () => {
    const expired = await signed({ ...valid(), exp: now() - 60 });
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(`${test.url.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${expired}` } });
      ws.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'token refused: expired' } });
    expect(test.gateway.store.listSessions({})).toHaveLength(0);
  });

  it('refuses HTTP API calls without a valid token', async () => {
    const response = await fetch(`${test.url}/v1/whoami`, { headers: { authorization: 'Bearer x.y.z' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'token refused: malformed token' } });
    const health = await fetch(`${test.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('accepts a valid token and knows who it names', async () => {
    const response = await fetch(`${test.url}/v1/whoami`, { headers: { authorization: `Bearer ${await test.token('carol', ['sre', 'oncall'])}` } });
    expect(await response.json()).toMatchObject({ user: 'carol', groups: ['sre', 'oncall'] });
  });

  it('hoop-gateway token mints a token the gateway accepts', async () => {
    const { runCli, BIN } = await import('../helpers/gateway.js');
    const minted = await runCli(BIN.gateway, ['token', '--user', 'dave', '--groups', 'sre,oncall', '--ttl', '5m', '--data', test.dataDir]);
    expect(minted.code).toBe(0);
    const result = await hoopShell(test, ['whoami'], { token: minted.stdout.trim() });
    expect(result.stdout).toMatch(/user: dave\ngroups: sre, oncall/);
  });
});
