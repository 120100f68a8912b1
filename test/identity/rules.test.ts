import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceIdentity } from '../../src/server/auth/oidc-issuer.js';
import { agentTokenConnections, agentTokenTtl } from '../../src/server/identity/agent-tokens.js';
import { rolesOf } from '../../src/server/identity/roles.js';
import { formatWhoami, isLocalHttp } from '../../src/shell/login.js';
import { readTokenCache, writeTokenCache } from '../../src/shell/token-cache.js';
import { cachedToken } from '../../src/shell/credentials.js';

const NOW = 1_800_000_000_000;
const inSeconds = (seconds: number) => NOW / 1000 + seconds;

describe('agent token lifetime', () => {
  it('defaults to 1h, clamped to the parent\'s remaining life and the maximum', () => {
    expect(agentTokenTtl({}, { expiresAt: inSeconds(7200) }, 28800, NOW)).toBe(3600);
    expect(agentTokenTtl({}, { expiresAt: inSeconds(600) }, 28800, NOW)).toBe(600);
    expect(agentTokenTtl({}, { expiresAt: inSeconds(7200) }, 900, NOW)).toBe(900);
  });
  it('refuses an explicit ttl beyond either bound, and a parent about to expire', () => {
    expect(() => agentTokenTtl({ ttl: '2h' }, { expiresAt: inSeconds(3600) }, 28800, NOW)).toThrow('would outlive your own token');
    expect(() => agentTokenTtl({ ttl: '9h' }, { expiresAt: inSeconds(86400) }, 28800, NOW)).toThrow('over the maximum of 8h');
    expect(() => agentTokenTtl({}, { expiresAt: inSeconds(5) }, 28800, NOW)).toThrow('about to expire');
    expect(() => agentTokenTtl({ ttl: '0s' }, { expiresAt: inSeconds(600) }, 28800, NOW)).toThrow('ttl must be a duration');
  });
});

describe('agent token connections', () => {
  it('inherits the parent\'s limit, refuses unknown names and any widening', () => {
    expect(agentTokenConnections(undefined, {}, ['a', 'b'])).toBeUndefined();
    expect(agentTokenConnections(undefined, { connections: ['a'] }, ['a', 'b'])).toEqual(['a']);
    expect(agentTokenConnections(['a', 'a'], {}, ['a', 'b'])).toEqual(['a']);
    expect(() => agentTokenConnections(['c'], {}, ['a', 'b'])).toThrow('unknown connection "c"');
    expect(() => agentTokenConnections(['b'], { connections: ['a'] }, ['a', 'b'])).toThrow('cannot grant "b"');
  });
});

describe('service identities', () => {
  const services = { ci: { user: 'ci-bot', groups: ['ci'] } };
  it('maps only a token whose subject is the client itself', () => {
    expect(serviceIdentity({ sub: 'ci', client_id: 'ci' }, services)).toEqual({ user: 'ci-bot', groups: ['ci'] });
    expect(serviceIdentity({ sub: 'alice', client_id: 'ci' }, services)).toBeUndefined();
    expect(serviceIdentity({ sub: 'alice', client_id: 'hoop-cli' }, services)).toBeUndefined();
    expect(() => serviceIdentity({ sub: 'other', client_id: 'other' }, services)).toThrow('client "other" is not a configured service');
    expect(() => serviceIdentity({ sub: 'toString', client_id: 'toString' }, services)).toThrow('not a configured service');
  });
});

describe('roles and whoami', () => {
  it('derives roles from groups', () => {
    expect(rolesOf({ approver: ['oncall'], admin: ['platform-admins'], auditor: [] }, { groups: ['dev', 'oncall', 'platform-admins'] })).toEqual(['admin', 'approver']);
    expect(rolesOf({ approver: ['oncall'] }, { groups: [] })).toEqual([]);
  });
  it('prints user, agent, groups, roles and a readable expiry', () => {
    expect(formatWhoami({ user: 'alice', actor: 'claude-1', groups: ['dev'], roles: [], expiresAt: NOW / 1000 + 5400 }, NOW)).toBe(
      `user: alice (via agent claude-1)\ngroups: dev\nroles: (none)\nexpires: ${new Date(NOW + 5400_000).toISOString()} (in 1h30m)\n`,
    );
  });
  it('allows plain http only for this machine', () => {
    expect(isLocalHttp(new URL('http://127.0.0.1:8080'))).toBe(true);
    expect(isLocalHttp(new URL('http://localhost'))).toBe(true);
    expect(isLocalHttp(new URL('http://127.0.0.1.example.com'))).toBe(false);
    expect(isLocalHttp(new URL('https://localhost'))).toBe(false);
  });
});

describe('the login cache', () => {
  it('is written 0600 in a 0700 dir and read by credentials.ts as before', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'hoop-cache-'));
    try {
      const env = { HOME: home };
      const file = writeTokenCache({ issuer: 'https://idp', client_id: 'cli', access_token: 'a.b.c', refresh_token: 'r' }, env);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(readTokenCache(env)?.refresh_token).toBe('r');
      expect(cachedToken(env)).toBe('a.b.c');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('config', () => {
  it('names a duplicate OIDC issuer and a bad agentTokenMaxTtl', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const entry = { issuer: 'https://idp.example.com', audience: 'hoop-gateway' };
    expect(() => parseConfig({ auth: { oidc: [entry, entry] } }, 'test')).toThrow(/auth\.oidc\[1\]\.issuer.*duplicate issuer "https:\/\/idp\.example\.com"/);
    expect(() => parseConfig({ auth: { agentTokenMaxTtl: 'forever' } }, 'test')).toThrow(/auth\.agentTokenMaxTtl/);
    expect(() => parseConfig({ auth: { oidc: [{ ...entry, algorithms: ['HS256'] }] } }, 'test')).toThrow(/auth\.oidc\[0\]\.algorithms/);
  });
});
