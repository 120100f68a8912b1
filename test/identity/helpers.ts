/**
 * A real gateway trusting the test IdP, with every log line captured (so tests can prove no token
 * was ever logged). Built like test/helpers/gateway.ts, plus the logger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { mintToken } from '../../src/server/auth/mint.js';
import { Gateway } from '../../src/server/gateway.js';
import type { Logger } from '../../src/server/log.js';
import { SHELL_CONNECTION, type TestGateway } from '../helpers/gateway.js';
import { CI_CLIENT_ID, CLI_CLIENT_ID, GATEWAY_AUDIENCE, type OidcProviderFixture } from '../fixtures/oidc-provider.js';

export const ROLES = { approver: ['oncall'], admin: ['platform-admins'], auditor: ['audit'] };
export const OTHER_CONNECTION = { name: 'other', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'] };

export function oidcConfig(idp: Pick<OidcProviderFixture, 'issuer'>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth: {
      oidc: [
        {
          issuer: idp.issuer,
          audience: GATEWAY_AUDIENCE,
          groupsClaim: 'groups',
          clientId: CLI_CLIENT_ID,
          scopes: ['openid', 'offline_access', 'groups'],
          jwksCooldown: '0s',
          services: { [CI_CLIENT_ID]: { user: 'ci-bot', groups: ['ci'] } },
        },
      ],
    },
    roles: ROLES,
    connections: [SHELL_CONNECTION, OTHER_CONNECTION],
    ...extra,
  };
}

export interface LoggedGateway extends TestGateway {
  logs: string[];
}

export async function startLoggedGateway(config: Record<string, unknown>): Promise<LoggedGateway> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hoop-identity-'));
  const logs: string[] = [];
  const logger: Logger = { log: (level, event, fields = {}) => logs.push(`${level} ${event} ${JSON.stringify(fields)}`) };
  const gateway = new Gateway(parseConfig({ ...config, listen: '127.0.0.1:0', dataDir }, 'test'), { logger });
  await gateway.start();
  return {
    gateway,
    url: gateway.url,
    dataDir,
    logs,
    token: (user = 'alice', groups = ['dev'], options = {}) =>
      mintToken(gateway.signingKey, { user, groups, ttlSeconds: options.ttlSeconds ?? 600, actor: options.actor, connections: options.connections }),
    stop: async () => {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** GET /v1/whoami with a bearer token: status and body. */
export async function whoami(url: string, token: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

/** Polls until `check` is truthy (no fixed sleeps). */
export async function until<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A user's access token from the IdP by the device flow, driven in-process (openid-client + the fixture's browser). */
export async function deviceFlowToken(idp: OidcProviderFixture, user: string): Promise<{ access_token: string; refresh_token?: string }> {
  const oidc = await import('openid-client');
  const config = await oidc.discovery(new URL(idp.issuer), CLI_CLIENT_ID, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid offline_access groups' });
  const tokens = oidc.pollDeviceAuthorizationGrant(config, device);
  await idp.browser.approve(device.verification_uri, device.user_code, user);
  return tokens;
}
