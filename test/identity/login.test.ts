import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/gateway.js';
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js';
import { oidcConfig, startLoggedGateway, type LoggedGateway } from './helpers.js';

let idp: OidcProviderFixture;
let test: LoggedGateway;
const homes: string[] = [];
beforeAll(async () => {
  idp = await startOidcProvider();
  test = await startLoggedGateway(oidcConfig(idp));
});
afterAll(async () => {
  await test?.stop();
  await idp?.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(path.join(tmpdir(), 'hoop-home-'));
  homes.push(home);
  return home;
}

/** Runs the built `hoop-shell login` and plays the person at the browser with what it printed. */
function cliLogin(home: string, user: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN.shell, 'login', ...args], {
      env: { PATH: process.env.PATH, HOME: home, HOOP_GATEWAY: test.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let approving = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`login timed out; stderr: ${stderr}`));
    }, 25_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const prompt = /open (\S+) and enter the code: (\S+)/.exec(stderr);
      if (prompt && !approving) {
        approving = true;
        idp.browser.approve(prompt[1]!, prompt[2]!, user).catch(reject);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const shell = (home: string, args: string[], env: Record<string, string> = {}) => runCli(BIN.shell, args, { env: { HOME: home, HOOP_GATEWAY: test.url, ...env } });
const cacheFile = (home: string) => path.join(home, '.config/hoop/token.json');

describe('hoop-shell login (device flow against a real IdP)', () => {
  let home: string;
  beforeAll(async () => {
    home = newHome();
  });

  it('prints the URL and code, completes when the person approves, and caches the token 0600 in a 0700 dir', async () => {
    const result = await cliLogin(home, 'alice');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/To sign in, open http:\/\/127\.0\.0\.1:\d+\/device and enter the code: [A-Z]{4}-[A-Z]{4}/);
    expect(result.stderr).toContain('user: alice');
    const cached = JSON.parse(readFileSync(cacheFile(home), 'utf8'));
    expect(cached).toMatchObject({ issuer: idp.issuer, client_id: 'hoop-cli' });
    expect(typeof cached.refresh_token).toBe('string');
    expect(result.stderr).not.toContain(cached.access_token);
    expect(statSync(cacheFile(home)).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(cacheFile(home))).mode & 0o777).toBe(0o700);
  });

  it('whoami prints user, groups, roles and expiry', async () => {
    const result = await shell(home, ['whoami']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^user: alice\ngroups: dev, oncall\nroles: approver\nissuer: http:\/\/127\.0\.0\.1:\d+\nexpires: \d{4}-\d\d-\d\dT[\d:.]+Z \(in [45]m\)\n$/);
  });

  it('exec runs as that user with their groups', async () => {
    const result = await shell(home, ['exec', 'shell', '--', 'echo', 'as-alice']);
    expect(result).toMatchObject({ code: 0, stdout: 'as-alice\n' });
    const [row] = test.gateway.store.listSessions({ user: 'alice', limit: 1 });
    expect(row).toMatchObject({ user: 'alice', groups: ['dev', 'oncall'], actor: null, connection: 'shell' });
  });

  it('--token and HOOP_TOKEN still win over the login cache', async () => {
    const bobToken = await test.token('bob', ['dev']);
    expect((await shell(home, ['whoami'], { HOOP_TOKEN: bobToken })).stdout).toMatch(/^user: bob\n/);
    expect((await shell(home, ['--token', bobToken, 'whoami'])).stdout).toMatch(/^user: bob\n/);
  });

  it('logout removes the cached token and revokes its refresh token at the IdP; commands then ask to log in', async () => {
    const { refresh_token } = JSON.parse(readFileSync(cacheFile(home), 'utf8'));
    const out = await shell(home, ['logout']);
    expect(out).toMatchObject({ code: 0, stderr: 'Logged out: the cached token was removed.\n' });
    const oidc = await import('openid-client');
    const config = await oidc.discovery(new URL(idp.issuer), 'hoop-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    await expect(oidc.refreshTokenGrant(config, refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(existsSync(cacheFile(home))).toBe(false);
    const after = await shell(home, ['whoami']);
    expect(after.code).toBe(1);
    expect(after.stderr).toBe('hoop-shell: no token: set HOOP_TOKEN, pass --token, or run hoop-shell login\n');
  });
});

describe('refreshing the cached token', () => {
  it('refreshes an access token near expiry with the refresh token, silently', async () => {
    const home = newHome();
    idp.accessTokenTtl = 20; // inside the 30 s refresh margin: the next command refreshes
    try {
      expect((await cliLogin(home, 'bob')).code).toBe(0);
    } finally {
      idp.accessTokenTtl = 300;
    }
    const before = JSON.parse(readFileSync(cacheFile(home), 'utf8'));
    const result = await shell(home, ['whoami']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^user: bob\ngroups: dev, platform-admins\nroles: admin\n/);
    const after = JSON.parse(readFileSync(cacheFile(home), 'utf8'));
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).toBeTruthy();
    expect(statSync(cacheFile(home)).mode & 0o777).toBe(0o600);
  });

  it('says in one line when the refresh fails (IdP down) and lets the gateway name the problem', async () => {
    const home = newHome();
    idp.accessTokenTtl = 1;
    try {
      expect((await cliLogin(home, 'alice')).code).toBe(0);
    } finally {
      idp.accessTokenTtl = 300;
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    idp.available = false;
    try {
      const result = await shell(home, ['whoami']);
      expect(result.code).toBe(1);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^hoop-shell: could not refresh the cached token \(.*\); run hoop-shell login$/);
      expect(lines[1]).toBe('hoop-shell: token refused: expired');
    } finally {
      idp.available = true;
    }
  });
});

describe('choosing the issuer', () => {
  it('takes --issuer and --client-id (or HOOP_OIDC_*) without asking the gateway', async () => {
    const home = newHome();
    const result = await cliLogin(home, 'alice', [], { HOOP_OIDC_ISSUER: idp.issuer, HOOP_OIDC_CLIENT_ID: 'hoop-cli', HOOP_GATEWAY: 'http://127.0.0.1:9' });
    expect(result.stderr).toContain('Signed in.');
    expect(JSON.parse(readFileSync(cacheFile(home), 'utf8')).issuer).toBe(idp.issuer);
  });

  it('refuses a plain-http issuer that is not on this machine', async () => {
    const result = await shell(newHome(), ['login', '--issuer', 'http://idp.example.com', '--client-id', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('hoop-shell: issuer http://idp.example.com must use https (plain http only for localhost/127.0.0.1)\n');
  });
});

describe('the walkthrough of issue 8', () => {
  it('login, whoami, an agent token handed to a script, and the script\'s command in the audit as the engineer via the agent', async () => {
    const home = newHome();
    expect((await cliLogin(home, 'alice')).code).toBe(0);
    expect((await shell(home, ['whoami'])).stdout).toMatch(/^user: alice\ngroups: dev, oncall\nroles: approver\n/);
    const minted = await shell(home, ['token', '--agent', 'claude-1', '--connections', 'shell']);
    expect(minted.code).toBe(0);
    const script = await shell(home, ['exec', 'shell', '--', 'echo', 'walkthrough-marker'], { HOOP_TOKEN: minted.stdout.trim() });
    expect(script).toMatchObject({ code: 0, stdout: 'walkthrough-marker\n' });
    const audit = await shell(home, ['audit']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^\S+Z\s+alice via agent claude-1\s+shell\s+allow\s.*echo walkthrough-marker$/m);
    const json = JSON.parse((await shell(home, ['audit', '--json'])).stdout) as { user: string; actor: string | null; command: string }[];
    expect(json.find((row) => row.command.includes('walkthrough-marker'))).toMatchObject({ user: 'alice', actor: 'claude-1' });
  });
});
