import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { readCast } from '../../src/recorder/asciicast-reader.js';
import { commandMarker } from '../../src/recorder/markers.js';
import { RecordingRetention } from '../../src/server/audit/retention.js';
import { silentLogger } from '../../src/server/log.js';
import { hoopShell, SHELL_CONNECTION, startGateway, type TestGateway } from '../helpers/gateway.js';
import { asciinemaCat, castFiles, waitFor } from './helpers.js';

let test: TestGateway;
const ids: Record<string, string> = {};

/** Runs one command on a runs session as `token`, returns the session id once it has ended. */
async function runOne(token: string, command: string, connection = 'shell', stdin?: string): Promise<{ id: string; exitCode: number; replay?: string }> {
  const client = new GatewayClient({ url: test.url, token });
  const session = await client.openSession({ connection });
  if (stdin !== undefined) {
    // Stdin belongs to the run's program: send it once the program has started.
    session.on('message', (message) => {
      if (message.type !== 'run.started') return;
      session.write(stdin);
      session.eof();
    });
  }
  const run = session.run(command, { stdin: stdin !== undefined });
  const result = await run.result;
  await session.close();
  await waitFor(() => test.gateway.store.getSession(session.id)?.state === 'ended', 5000, 'session row ended');
  return { id: session.id, exitCode: result.exitCode, replay: session.exitMessage?.replay };
}

beforeAll(async () => {
  test = await startGateway(
    {
      connections: [SHELL_CONNECTION, { name: 'typed', type: 'command', command: ['/bin/bash', '--noprofile', '--norc'], recordInput: true }],
      roles: { auditor: ['audit'], admin: ['platform-admins'] },
    },
    (gateway) => {
      // A stand-in policy: `rm` is refused; `touch` needs (and gets) an approval from bob.
      gateway.sessionHooks.authorizeRun = async (session, run) => {
        if (run.text.includes('rm ')) return { action: 'deny', rule: 'no rm', reason: 'rm is not allowed here' };
        if (run.text.includes('touch ')) {
          session.mark(commandMarker(run.text, 'held ap-1'));
          session.mark(commandMarker(run.text, 'approved by bob'));
          return { action: 'allow', rule: 'touch needs review', approver: 'bob', approvalId: 'ap-1' };
        }
        return { action: 'allow' };
      };
    },
  );
  const alice = await test.token('alice', ['dev']);
  ids.allowed = (await runOne(alice, 'echo hello-audit')).id;
  ids.denied = (await runOne(alice, 'rm -rf /tmp/nothing-here')).id;
  ids.approved = (await runOne(alice, 'touch /dev/null; exit 3')).id;
  ids.agent = (await runOne(await test.token('alice', ['dev'], { actor: 'claude-1' }), 'echo from-agent')).id;
  ids.bob = (await runOne(await test.token('bob', ['dev']), 'echo bobs-command')).id;
});
afterAll(() => test?.stop());

describe('recordings', () => {
  it('have the full header and a marker for every command', () => {
    const cast = readCast(path.join(test.dataDir, 'recordings', `${ids.allowed}.cast`));
    expect(cast.header).toMatchObject({ version: 2, width: 80, height: 24, title: 'alice@shell', command: '/bin/bash --noprofile --norc', env: { TERM: expect.any(String) }, session: ids.allowed, user: 'alice', actor: null, connection: 'shell' });
    expect(cast.header.timestamp).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(cast.events.filter((event) => event.code === 'm').map((event) => event.data)).toEqual(['$ echo hello-audit']);
    expect(cast.events.some((event) => event.code === 'o' && event.data.includes('hello-audit'))).toBe(true);
    expect(cast.torn).toBe(false);
    const denied = readCast(path.join(test.dataDir, 'recordings', `${ids.denied}.cast`));
    expect(denied.events.filter((event) => event.code === 'm').map((event) => event.data)).toEqual(['$ rm -rf /tmp/nothing-here [denied: rm is not allowed here]']);
    const agent = readCast(path.join(test.dataDir, 'recordings', `${ids.agent}.cast`));
    expect(agent.header.actor).toBe('claude-1');
  });

  it('keep input out unless the connection has recordInput', async () => {
    const alice = await test.token('alice', ['dev']);
    const plain = await runOne(alice, 'read -r secret; echo got-it', 'shell', 'hunter2-plain\n');
    const typed = await runOne(alice, 'read -r secret; echo got-it', 'typed', 'hunter2-typed\n');
    const plainText = readFileSync(path.join(test.dataDir, 'recordings', `${plain.id}.cast`), 'utf8');
    expect(plainText).toContain('got-it');
    expect(plainText).not.toContain('hunter2');
    const typedCast = readCast(path.join(test.dataDir, 'recordings', `${typed.id}.cast`));
    expect(typedCast.events.filter((event) => event.code === 'i').map((event) => event.data).join('')).toBe('hunter2-typed\n');
  });

  it('the exit message carries the replay link', async () => {
    const result = await runOne(await test.token('alice', ['dev']), 'true');
    expect(result.replay).toBe(`${test.url}/replay/${result.id}`);
    const connect = await hoopShell(test, ['connect', 'shell'], { input: 'exit 0\n' });
    expect(connect.code).toBe(0);
    expect(connect.stderr).toMatch(new RegExp(`hoop-shell: replay: ${test.url}/replay/[0-9a-f-]{36}\n$`));
  });

  it('GET /v1/sessions/:id/recording: own user and auditors yes, others 403, odd ids 404', async () => {
    const get = async (id: string, user: string, groups: string[]) =>
      fetch(`${test.url}/v1/sessions/${id}/recording`, { headers: { authorization: `Bearer ${await test.token(user, groups)}` } });
    const own = await get(ids.allowed!, 'alice', ['dev']);
    expect(own.status).toBe(200);
    expect(await own.text()).toBe(readFileSync(path.join(test.dataDir, 'recordings', `${ids.allowed}.cast`), 'utf8'));
    expect((await get(ids.allowed!, 'mallory', ['dev'])).status).toBe(403);
    expect((await get(ids.allowed!, 'carol', ['audit'])).status).toBe(200);
    expect((await get(ids.allowed!, 'dave', ['platform-admins'])).status).toBe(200);
    for (const bad of ['..%2F..%2Fhoop.db', '..%2Fsigning-key.json', `${ids.allowed}%2F..`, 'x'.repeat(300)]) {
      const response = await get(bad, 'carol', ['audit']);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('"kid"');
    }
  });
});

describe('hoop-shell audit', () => {
  it('lists commands with time, user, connection, decision, rule, approvers and exit code', async () => {
    const result = await hoopShell(test, ['audit'], { token: await test.token('carol', ['audit']) });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+USER\s+CONNECTION\s+DECISION\s+RULE\s+APPROVERS\s+EXIT\s+COMMAND$/);
    const line = (text: string) => lines.find((candidate) => candidate.endsWith(text)) ?? '';
    expect(line('echo hello-audit')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+alice\s+shell\s+allow\s+-\s+-\s+0\s+echo hello-audit$/);
    expect(line('rm -rf /tmp/nothing-here')).toMatch(/alice\s+shell\s+deny\s+no rm\s+-\s+77\s/);
    expect(line('touch /dev/null; exit 3')).toMatch(/alice\s+shell\s+approved\s+touch needs review\s+bob\s+3\s/);
    expect(line('echo from-agent')).toMatch(/alice via agent claude-1\s+shell\s+allow/);
    expect(line('echo bobs-command')).toMatch(/\sbob\s+shell\s+allow/);
  });

  it('filters and prints JSON; ordinary users see only their own', async () => {
    const alice = await test.token('alice', ['dev']);
    const mine = await hoopShell(test, ['audit', '--json'], { token: alice });
    const rows = JSON.parse(mine.stdout) as { user: string; command: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.every((row) => row.user === 'alice')).toBe(true);
    const snoop = await hoopShell(test, ['audit', '--user', 'bob'], { token: alice });
    expect(snoop.code).toBe(1);
    expect(snoop.stderr).toBe('hoop-shell: only auditors and admins may read the audit of other users\n');
    const auditor = await test.token('carol', ['audit']);
    const denied = JSON.parse((await hoopShell(test, ['audit', '--json', '--decision', 'deny'], { token: auditor })).stdout) as { command: string; exitCode: number }[];
    expect(denied).toEqual([expect.objectContaining({ command: 'rm -rf /tmp/nothing-here', decision: 'deny', rule: 'no rm', exitCode: 77 })]);
    const reviewed = JSON.parse((await hoopShell(test, ['audit', '--json', '--decision', 'review'], { token: auditor })).stdout) as { command: string }[];
    expect(reviewed.map((row) => row.command)).toEqual(['touch /dev/null; exit 3']);
    const bobs = JSON.parse((await hoopShell(test, ['audit', '--json', '--user', 'bob', '--since', '1h'], { token: auditor })).stdout) as { command: string }[];
    expect(bobs.map((row) => row.command)).toEqual(['echo bobs-command']);
    const future = JSON.parse((await hoopShell(test, ['audit', '--json', '--since', new Date(Date.now() + 3600_000).toISOString()], { token: auditor })).stdout);
    expect(future).toEqual([]);
    const bad = await hoopShell(test, ['audit', '--decision', 'maybe'], { token: auditor });
    expect(bad.code).toBe(2);
  });

  it('verify: intact → 0; an edited byte in a recording or an edited row → 1 naming it', async () => {
    const auditor = await test.token('carol', ['audit']);
    const intact = await hoopShell(test, ['audit', 'verify'], { token: auditor });
    expect(intact.stdout).toMatch(/^audit intact: \d+ rows, \d+ recordings verified/);
    expect(intact.code).toBe(0);
    expect((await hoopShell(test, ['audit', 'verify'], { token: await test.token('alice', ['dev']) })).code).toBe(1);

    const file = path.join(test.dataDir, 'recordings', `${ids.approved}.cast`);
    const original = readFileSync(file);
    const edited = Buffer.from(original);
    const at = edited.indexOf('exit 3');
    edited[at + 5] = '4'.charCodeAt(0);
    writeFileSync(file, edited);
    const broken = await hoopShell(test, ['audit', 'verify'], { token: auditor });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`audit BROKEN at recording ${file}: recording ${file} no longer matches its SHA-256`);
    writeFileSync(file, original);
    expect((await hoopShell(test, ['audit', 'verify'], { token: auditor })).code).toBe(0);

    const db = new Database(path.join(test.dataDir, 'hoop.db'));
    const row = db.prepare(`SELECT id, data FROM audit WHERE kind = 'command' AND data LIKE '%rm -rf%' AND data LIKE '%decided%'`).get() as { id: number; data: string };
    db.prepare(`UPDATE audit SET data = ? WHERE id = ?`).run(row.data.replace('"deny"', '"allow"'), row.id);
    const rowBroken = await hoopShell(test, ['audit', 'verify', '--json'], { token: auditor });
    expect(rowBroken.code).toBe(1);
    expect(JSON.parse(rowBroken.stdout)).toMatchObject({ intact: false, row: row.id, reason: `row ${row.id} was changed after it was written` });
    db.prepare(`UPDATE audit SET data = ? WHERE id = ?`).run(row.data, row.id);
    const lastId = (db.prepare(`SELECT max(id) AS id FROM audit`).get() as { id: number }).id;
    const victim = db.prepare(`SELECT * FROM audit WHERE id = ?`).get(Math.floor(lastId / 2)) as Record<string, unknown>;
    db.prepare(`DELETE FROM audit WHERE id = ?`).run(victim.id);
    const removed = JSON.parse((await hoopShell(test, ['audit', 'verify', '--json'], { token: auditor })).stdout) as { row: number; reason: string };
    expect(removed.reason).toBe(`row ${Math.floor(lastId / 2)} is missing (next is ${Math.floor(lastId / 2) + 1})`);
    db.prepare(`INSERT INTO audit (id, at, kind, session_id, user, actor, connection, data, prev_hash, hash) VALUES (@id, @at, @kind, @session_id, @user, @actor, @connection, @data, @prev_hash, @hash)`).run(victim);
    db.close();
    expect((await hoopShell(test, ['audit', 'verify'], { token: auditor })).code).toBe(0);
  });
});

describe('hoop-shell replay (not a terminal)', () => {
  it('plays a session by id and a .cast file; refuses other users', async () => {
    const alice = await test.token('alice', ['dev']);
    const byId = await hoopShell(test, ['replay', ids.allowed!, '--speed', '50'], { token: alice });
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain('hello-audit');
    const file = path.join(test.dataDir, 'recordings', `${ids.bob}.cast`);
    const byFile = await hoopShell(test, ['replay', file, '--idle-limit', '0.1'], { token: alice });
    expect(byFile).toMatchObject({ code: 0 });
    expect(byFile.stdout).toContain('bobs-command');
    const other = await hoopShell(test, ['replay', ids.bob!], { token: alice });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^hoop-shell: session .* is not yours to replay/);
    const usage = await hoopShell(test, ['replay', ids.allowed!, '--speed', '0'], { token: alice });
    expect(usage.code).toBe(2);
  });
});

describe('outside readers and retention', () => {
  it('Debian asciinema cat reads every recording', async () => {
    const files = castFiles(test.dataDir);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const result = await asciinemaCat(file);
      expect(result.code, `asciinema cat ${file}: ${result.output.slice(-300)}`).toBe(0);
    }
    const output = (await asciinemaCat(path.join(test.dataDir, 'recordings', `${ids.allowed}.cast`))).output;
    expect(output).toContain('hello-audit');
  });

  it('deletes recordings past retention, each deletion an audit row; verify stays intact', async () => {
    const before = castFiles(test.dataDir).length;
    const retention = new RecordingRetention({ maxBytes: '1KB' }, test.gateway.store, test.gateway.audit.log, silentLogger);
    const deleted = retention.sweep();
    expect(deleted.length).toBeGreaterThan(0);
    expect(castFiles(test.dataDir).length).toBe(before - deleted.length);
    const rows = test.gateway.audit.chain.rows({ kinds: ['recording.deleted'] });
    expect(rows.map((row) => JSON.parse(row.data).file).sort()).toEqual(deleted.map((item) => item.file).sort());
    expect(JSON.parse(rows[0]!.data).reason).toBe('over recording.retention.maxBytes');
    const aged = new RecordingRetention({ maxAge: '1s' }, test.gateway.store, test.gateway.audit.log, silentLogger).sweep(Date.now() + 5000);
    expect(castFiles(test.dataDir)).toEqual([]);
    expect(deleted.length + aged.length).toBe(before);
    const auditor = await test.token('carol', ['audit']);
    const verify = await hoopShell(test, ['audit', 'verify'], { token: auditor });
    expect(verify.stdout).toMatch(/^audit intact/);
    const gone = await fetch(`${test.url}/v1/sessions/${ids.allowed}/recording`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(gone.status).toBe(404);
  });
});

describe('agent tokens and the audit', () => {
  it("an agent sees only its own commands and replays, never its engineer's others nor auditor powers", async () => {
    // The agent's engineer is an auditor: the agent token must not inherit that.
    const agent = await test.token('alice', ['dev', 'audit'], { actor: 'claude-1' });
    const fresh = (await runOne(agent, 'echo agent-again')).id;
    const audit = await fetch(`${test.url}/v1/audit`, { headers: { authorization: `Bearer ${agent}` } });
    const rows = (await audit.json()) as { command: string; actor: string | null }[];
    expect(rows.map((row) => row.command).sort()).toEqual(['echo agent-again', 'echo from-agent']);
    const own = await fetch(`${test.url}/v1/sessions/${fresh}/recording`, { headers: { authorization: `Bearer ${agent}` } });
    expect(own.status).toBe(200);
    const engineers = await fetch(`${test.url}/v1/sessions/${(await runOne(await test.token('alice', ['dev']), 'echo by-hand')).id}/recording`, { headers: { authorization: `Bearer ${agent}` } });
    expect(engineers.status).toBe(403);
    const verify = await fetch(`${test.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${agent}` } });
    expect(verify.status).toBe(403);
    // The engineer herself sees her agent's commands too.
    const alice = await fetch(`${test.url}/v1/audit`, { headers: { authorization: `Bearer ${await test.token('alice', ['dev'])}` } });
    expect(((await alice.json()) as { command: string }[]).map((row) => row.command)).toContain('echo from-agent');
  });
});
