import { spawn } from 'node:child_process';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { BIN, hoopShell } from '../helpers/gateway.js';
import { startOidcProvider, type OidcProviderFixture } from '../fixtures/oidc-provider.js';
import { deviceFlowToken, oidcConfig, startLoggedGateway, until, whoami, type LoggedGateway } from './helpers.js';

let idp: OidcProviderFixture;
let test: LoggedGateway;
let alice: string;
beforeAll(async () => {
  idp = await startOidcProvider();
  test = await startLoggedGateway(oidcConfig(idp));
  alice = await test.token('alice', ['dev', 'oncall'], { ttlSeconds: 1800 });
});
afterAll(async () => {
  await test?.stop();
  await idp?.stop();
});

async function mint(args: string[], token = alice): Promise<{ code: number | null; token: string; stdout: string; stderr: string; id?: string }> {
  const result = await hoopShell(test, ['token', ...args], { token });
  const id = /agent token (\S+) for/.exec(result.stderr)?.[1];
  return { ...result, token: result.stdout.trim(), id };
}

/** POST /v1/tokens/agent in-process (the CLI is exercised where its output is the point). */
async function mintApi(body: Record<string, unknown>, token = alice): Promise<{ status: number; token: string; id: string; message?: string }> {
  const response = await fetch(`${test.url}/v1/tokens/agent`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as { token: string; id: string; error?: { message: string } };
  return { status: response.status, token: answer.token, id: answer.id, message: answer.error?.message };
}

async function api(method: string, path: string, token: string): Promise<{ status: number; message?: string }> {
  const response = await fetch(`${test.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, message: ((await response.json()) as { error?: { message: string } }).error?.message };
}

describe('hoop-shell token --agent', () => {
  it('prints the agent token alone on stdout: sub = the engineer, act.sub = the agent, the engineer\'s groups', async () => {
    const result = await mint(['--agent', 'claude-1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(result.token);
    expect(claims).toMatchObject({ sub: 'alice', act: { sub: 'claude-1' }, groups: ['dev', 'oncall'], jti: result.id });
    expect(result.stderr).toMatch(/^agent token [0-9a-f-]{36} for claude-1, any connection, expires \S+Z\n$/);
    const who = await hoopShell(test, ['whoami'], { token: result.token });
    expect(who.stdout).toMatch(/^user: alice \(via agent claude-1\)\ngroups: dev, oncall\nroles: approver\n/);
  });

  it('a script with the agent token runs commands audited as "alice via agent claude-1"', async () => {
    const { token } = await mintApi({ agent: 'claude-1', ttl: '10m' });
    const exec = await hoopShell(test, ['exec', 'shell', '--', 'echo', 'from-the-agent'], { token });
    expect(exec).toMatchObject({ code: 0, stdout: 'from-the-agent\n' });
    const [row] = test.gateway.store.listSessions({ user: 'alice', limit: 1 });
    expect(row).toMatchObject({ user: 'alice', actor: 'claude-1', connection: 'shell' });
    const sessions = await hoopShell(test, ['sessions', '--all'], { token: alice });
    expect(sessions.stdout).toContain(`${row!.id}  ended       ${row!.started_at}  alice via agent claude-1@shell`);
  });

  it('cannot be used beyond its connections', async () => {
    const { token } = await mintApi({ agent: 'claude-1', connections: ['shell'] });
    expect(decodeJwt(token).connections).toEqual(['shell']);
    const outside = await hoopShell(test, ['exec', 'other', '--', 'echo', 'nope'], { token });
    expect(outside).toMatchObject({ code: 1, stdout: '', stderr: 'hoop-shell: this token is limited to shell\n' });
    const inside = await hoopShell(test, ['exec', 'shell', '--', 'echo', 'ok'], { token });
    expect(inside.stdout).toBe('ok\n');
    const listed = await new GatewayClient({ url: test.url, token }).connections();
    expect(listed.map((c) => c.name)).toEqual(['shell']);
  });

  it('names unknown connections and never widens a parent token that is itself limited', async () => {
    expect((await mintApi({ agent: 'a', connections: ['nope'] })).message).toBe('unknown connection "nope" (known: shell, other)');
    const limited = await test.token('alice', ['dev'], { connections: ['shell'] });
    const widened = await mint(['--agent', 'a', '--connections', 'other'], limited);
    expect(widened).toMatchObject({ code: 1, stdout: '', stderr: 'hoop-shell: your token is limited to shell; it cannot grant "other"\n' });
    const inherited = await mintApi({ agent: 'a' }, limited);
    expect(decodeJwt(inherited.token).connections).toEqual(['shell']);
  });

  it('cannot mint, list or revoke agent tokens with an agent token', async () => {
    const { token, id } = await mintApi({ agent: 'claude-1' });
    const again = await mint(['--agent', 'claude-2'], token);
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: 'hoop-shell: an agent token cannot mint further agent tokens\n' });
    expect(await api('GET', '/v1/tokens/agent', token)).toEqual({ status: 403, message: 'an agent token cannot list agent tokens' });
    expect(await api('DELETE', `/v1/tokens/agent/${id}`, token)).toEqual({ status: 403, message: 'an agent token cannot revoke agent tokens' });
  });

  it('never outlives the engineer\'s own token, nor the maximum', async () => {
    const short = await test.token('alice', ['dev'], { ttlSeconds: 300 });
    expect((await mint(['--agent', 'a', '--ttl', '1h'], short)).stderr).toMatch(/^hoop-shell: ttl 1h would outlive your own token \(it expires in (5m|4m5\ds)\)\n$/);
    expect((await mintApi({ agent: 'a', ttl: '9h' })).message).toBe('ttl 9h is over the maximum of 8h (auth.agentTokenMaxTtl)');
    const clamped = await mintApi({ agent: 'a' }, short);
    expect(clamped.status).toBe(200);
    expect(decodeJwt(clamped.token).exp).toBeLessThanOrEqual(decodeJwt(short).exp!);
    expect((await mintApi({ agent: 'a', ttl: 'soon' })).message).toBe('ttl must be a duration such as 15m or 1h, got "soon"');
    expect((await mintApi({ agent: 'bad name' })).message).toBe('agent: agent must be 1-63 letters, digits, ".", "_", "@" or "-"');
    expect((await mintApi({ agent: 'a', extra: true })).status).toBe(400);
    expect((await mint([])).code).toBe(2);
  });

  it('cannot be used beyond its TTL: refused afterwards, and an open session ends at expiry', async () => {
    const { token } = await mintApi({ agent: 'shortlived', ttl: '3s' });
    const session = await new GatewayClient({ url: test.url, token }).openSession({ connection: 'shell' });
    const ended = new Promise<string | undefined>((resolve) => session.once('exit', (message) => resolve(message.reason)));
    const run = session.run(['sleep', '30']).result.catch((error: Error) => error.message);
    expect(await ended).toBe('agent token of alice via agent shortlived expired');
    expect(await run).toBe('agent token of alice via agent shortlived expired');
    const after = await hoopShell(test, ['exec', 'shell', '--', 'echo', 'late'], { token });
    expect(after).toMatchObject({ code: 1, stderr: 'hoop-shell: token refused: expired\n' });
  });
});

describe('listing and revoking agent tokens', () => {
  it('revocation refuses the token from then on and ends its open session with a reason the user sees', async () => {
    const { token, id } = await mintApi({ agent: 'claude-9' });
    const child = spawn(process.execPath, [BIN.shell, 'exec', 'shell', '--', 'echo started; sleep 30'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HOOP_GATEWAY: test.url, HOOP_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(() => stdout.includes('started'), 10_000, 'the agent command to start');

    const revoke = await hoopShell(test, ['token', '--revoke', id!], { token: alice });
    expect(revoke).toMatchObject({ code: 0, stdout: `revoked ${id} (alice via agent claude-9); 1 open session(s) ended\n` });
    expect(await exited).toBe(1);
    expect(stderr).toBe('hoop-shell: agent token of alice for claude-9 was revoked by alice\n');
    const [row] = test.gateway.store.listSessions({ user: 'alice', limit: 1 });
    expect(row).toMatchObject({ actor: 'claude-9', state: 'ended', end_reason: 'agent token of alice for claude-9 was revoked by alice' });

    const reuse = await hoopShell(test, ['exec', 'shell', '--', 'echo', 'again'], { token });
    expect(reuse).toMatchObject({ code: 1, stderr: 'hoop-shell: token refused: agent token revoked\n' });
    expect((await whoami(test.url, token)).body.error.message).toBe('token refused: agent token revoked');
  });

  it('lists the engineer\'s own tokens; others cannot revoke them, an admin can', async () => {
    const { id } = await mintApi({ agent: 'lister' });
    const list = await hoopShell(test, ['token', '--list'], { token: alice });
    expect(list.stdout).toMatch(new RegExp(`^${id}  alice via agent lister  any connection  until \\S+Z$`, 'm'));
    expect(list.stdout).toMatch(/  alice via agent claude-9  any connection  revoked by alice$/m);
    expect(list.stdout).not.toMatch(/via agent shortlived/); // expired ones show only with --all
    const json = JSON.parse((await hoopShell(test, ['token', '--list', '--all', '--json'], { token: alice })).stdout);
    expect(json.find((row: { agent: string }) => row.agent === 'claude-9')).toMatchObject({ revoked_by: 'alice' });

    const mallory = await test.token('mallory', ['dev']);
    expect(await (await fetch(`${test.url}/v1/tokens/agent`, { headers: { authorization: `Bearer ${mallory}` } })).json()).toEqual([]);
    expect(await hoopShell(test, ['token', '--revoke', id!], { token: mallory })).toMatchObject({ code: 1, stderr: `hoop-shell: no agent token ${id}\n` });
    const admin = await test.token('bob', ['platform-admins']);
    expect((await hoopShell(test, ['token', '--revoke', id!], { token: admin })).code).toBe(0);
  });

  it('agent tokens and their revocation are logged by id, never by token', () => {
    const minted = test.logs.filter((line) => line.includes('agent-token.minted'));
    expect(minted.length).toBeGreaterThan(5);
    expect(test.logs.some((line) => line.includes('agent-token.revoked'))).toBe(true);
    for (const line of test.logs) expect(line).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });
});

describe('an engineer signed in at the IdP', () => {
  it('exchanges their OIDC token for an agent token bounded by it', async () => {
    const { access_token } = await deviceFlowToken(idp, 'alice');
    const result = await mintApi({ agent: 'copilot', connections: ['shell'] }, access_token);
    expect(result.status).toBe(200);
    expect(decodeJwt(result.token).exp).toBeLessThanOrEqual(decodeJwt(access_token).exp!);
    const { body } = await whoami(test.url, result.token);
    expect(body).toMatchObject({ user: 'alice', actor: 'copilot', groups: ['dev', 'oncall'], connections: ['shell'], issuer: 'hoop-gateway' });
  });
});
