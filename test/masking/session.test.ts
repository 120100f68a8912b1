/**
 * Masking end to end: real gateways, the built hoop-shell (`exec` and `connect` in a pty), real
 * recordings and SQLite. Every corpus secret must be absent from what the user sees, from the
 * .cast recording and from every file in the data dir; a leak names the sample.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputFilter } from '../../src/server/session/session.js';
import { BIN, SHELL_CONNECTION, hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';
import { corpus, findLeak, type SecretSample } from './corpus.js';

const KNOWN_VALUE = 'kv9Q2xL7pT4mW8rZ';
const REGISTERED_VALUE = 'rg5H8kN2vB7cX1qY';
const TYPED_SECRET = 'Ty9pEdS3cr3tV4lu3';
const JWT_HEAD = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkw';
const JWT_TAIL = 'IiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const extra: SecretSample[] = [
  { name: 'config/masking.values', form: 'value', text: '', secrets: [KNOWN_VALUE, Buffer.from(KNOWN_VALUE).toString('base64')] },
  { name: 'registry/secretValues', form: 'value', text: '', secrets: [REGISTERED_VALUE] },
  { name: 'jwt/split-printf', form: 'jwt', text: '', secrets: [JWT_TAIL.slice(0, 20), JWT_TAIL.slice(30)] },
  { name: 'typed/by-hand', form: 'typed', text: '', secrets: [TYPED_SECRET.slice(2)] },
];
const everything = [...corpus, ...extra];

let test: TestGateway;
let work: string;
let corpusFile: string;
let jwtFile: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'hoop-mask-'));
  corpusFile = path.join(work, 'corpus.txt');
  writeFileSync(corpusFile, corpus.map((sample) => sample.text).join('\n'));
  jwtFile = path.join(work, 'jwt.txt');
  writeFileSync(jwtFile, `${JWT_HEAD}${JWT_TAIL}\n`);
  test = await startGateway(
    {
      connections: [SHELL_CONNECTION, { ...SHELL_CONNECTION, name: 'raw', masking: false }],
      masking: { values: [KNOWN_VALUE] },
    },
    (gateway) => gateway.secretValues.add(REGISTERED_VALUE, 'kube-credential'),
  );
});
afterAll(async () => {
  await test.stop();
  rmSync(work, { recursive: true, force: true });
});

function leaks(output: string | Buffer, samples: SecretSample[] = everything): string[] {
  return samples.map((sample) => findLeak(sample, output)).filter((leak): leak is string => leak !== undefined);
}

/** The output events of a recording, joined (JSON-decoded, so escaped characters count too). */
function recordedOutput(file: string, codes = 'om'): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => JSON.parse(line) as [number, string, string])
    .filter(([, code]) => codes.includes(code))
    .map(([, , data]) => data)
    .join('');
}

function latestRecording(): string {
  const dir = path.join(test.dataDir, 'recordings');
  return readdirSync(dir)
    .map((name) => path.join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

async function waitFor(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('masking through a real session', () => {
  it('hoop-shell exec … cat of the corpus shows placeholders and no secret, on screen and in the recording', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'cat', corpusFile, `; echo ${KNOWN_VALUE} ${REGISTERED_VALUE}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[masked:aws-secret-key]');
    expect(result.stdout).toContain('[masked:private-key]');
    expect(result.stdout).toContain('[masked:secret-value] [masked:kube-credential]');
    expect(result.stdout.split('\n').length).toBeGreaterThanOrEqual(readFileSync(corpusFile, 'utf8').split('\n').length);
    expect(leaks(result.stdout)).toEqual([]);
    await waitFor(() => test.gateway.sessions.size === 0, 'the session to end');
    const recording = latestRecording();
    expect(recordedOutput(recording)).toContain('[masked:private-key]');
    expect(leaks(recordedOutput(recording))).toEqual([]);
    expect(leaks(readFileSync(recording))).toEqual([]);
  });

  it('hoop-shell connect in a pty: cat, env and a JWT printed in two writes are masked on screen and in the recording', async () => {
    const term = pty.spawn(process.execPath, [BIN.shell, 'connect', 'shell'], {
      name: 'xterm-256color',
      cols: 120,
      rows: 40,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token() },
    });
    let screen = '';
    term.onData((data) => (screen += data));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    const before = new Set(readdirSync(path.join(test.dataDir, 'recordings')));
    await waitFor(() => test.gateway.sessions.size === 1, 'the session to open');
    // Type only once the remote prompt is there: before hoop-shell puts the local terminal in raw
    // mode, the local pty itself would echo the keystrokes (that echo never passes the gateway).
    await waitFor(() => /[#$] $/.test(screen), 'the prompt');
    term.write(`export DB_PASSWORD=${KNOWN_VALUE}x; env | grep DB_PASSWORD; cat ${corpusFile}; echo done-$((6*7))\r`);
    await waitFor(() => screen.includes('done-42'), 'cat to finish');
    // The JWT comes from a file so the typed command does not contain it; two writes 300 ms apart.
    term.write(`head -c ${JWT_HEAD.length} ${jwtFile}; sleep 0.3; tail -c +${JWT_HEAD.length + 1} ${jwtFile}; echo jwt-$((6*7))\r`);
    await waitFor(() => screen.includes('jwt-42'), 'the split JWT');
    // A secret typed by hand, one key every 60 ms (longer than the hold time): the echo is
    // released by the timer key by key and still shows one placeholder.
    term.write('export API_TOKEN=');
    for (const key of TYPED_SECRET) {
      term.write(key);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    term.write('; echo typed-$((6*7))\r');
    await waitFor(() => screen.includes('typed-42'), 'the typed secret');
    expect(screen).toContain('API_TOKEN=[masked:secret-assignment]; echo typed');
    term.write('exit\r');
    expect(await exited).toBe(0);
    expect(screen).toContain('[masked:jwt]');
    expect(screen).toContain('[masked:private-key]');
    expect(screen).toMatch(/DB_PASSWORD=\[masked:/);
    expect(leaks(screen)).toEqual([]);
    await waitFor(() => test.gateway.sessions.size === 0, 'the session to end');
    const recording = readdirSync(path.join(test.dataDir, 'recordings')).find((name) => !before.has(name))!;
    const recorded = recordedOutput(path.join(test.dataDir, 'recordings', recording));
    expect(recorded).toContain('[masked:jwt]');
    expect(leaks(recorded)).toEqual([]);
  });

  it('masks command text in stored commands and recording markers', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'echo', '--password=hunter2secret', 'ok']);
    expect(result.stdout).toBe('--password=[masked:secret-flag] ok\n'.replace('secret-flag', result.stdout.match(/masked:([a-z-]+)/)?.[1] ?? ''));
    expect(result.stdout).not.toContain('hunter2secret');
    await waitFor(() => test.gateway.sessions.size === 0, 'the session to end');
    const session = test.gateway.store.listSessions({ limit: 1 })[0]!;
    const commands = test.gateway.store.listCommands(session.id);
    expect(commands.map((command) => command.text).join('\n')).toMatch(/--password=\[masked:[a-z-]+\] ok/);
    expect(readFileSync(latestRecording(), 'utf8')).not.toContain('hunter2secret');
    expect(test.gateway.maskText('login --token abcdefgh12345')).toBe('login --token [masked:secret-flag]');
  });

  it('a connection with masking: false shows output as it is', async () => {
    const result = await hoopShell(test, ['exec', 'raw', '--', 'echo', 'token=plainvalue123']);
    expect(result.stdout).toBe('token=plainvalue123\n');
  });

  it('leaves no clear secret anywhere in the data dir (SQLite, WAL, recordings)', async () => {
    await waitFor(() => test.gateway.sessions.size === 0, 'sessions to end');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else files.push(file);
      }
    };
    walk(test.dataDir);
    const found: string[] = [];
    for (const file of files) {
      const content = readFileSync(file);
      for (const leak of leaks(content.toString('latin1'))) found.push(`${path.relative(test.dataDir, file)}: ${leak}`);
      if (content.includes('hunter2secret')) found.push(`${path.relative(test.dataDir, file)}: hunter2secret`);
    }
    expect(files.length).toBeGreaterThan(2);
    expect(found).toEqual([]);
  });
});

describe('fail closed', () => {
  it('stops the output with a clear message when the masker throws, and shows nothing after', async () => {
    const failing = await startGateway({});
    try {
      const real = failing.gateway.sessionHooks.createOutputFilter!;
      failing.gateway.sessionHooks.createOutputFilter = (session) => {
        const inner = real(session)!;
        const filter: OutputFilter = {
          push: (stream, chunk) => {
            if (chunk.includes('BOOM')) throw new Error('detector exploded');
            return inner.push(stream, chunk);
          },
          flush: (stream) => inner.flush(stream),
          setEmitter: (emit, fail) => inner.setEmitter?.(emit, fail),
          dispose: () => inner.dispose?.(),
        };
        return filter;
      };
      const result = await hoopShell(failing, ['exec', 'shell', '--', 'echo before; sleep 0.2; echo BOOM secret-after-boom; sleep 0.2; echo after']);
      expect(result.stdout).toBe('before\n');
      expect(result.stderr).toMatch(/output stopped: the masker failed \(detector exploded\)/);
      expect(result.code).not.toBe(0);
      const recording = readdirSync(path.join(failing.dataDir, 'recordings'))[0]!;
      const recorded = recordedOutput(path.join(failing.dataDir, 'recordings', recording), 'o');
      expect(recorded).toBe('before\n');
    } finally {
      await failing.stop();
    }
  });

  it('refuses to start with a masking rule that does not compile, naming the rule', async () => {
    await expect(startGateway({ masking: { rules: [{ name: 'broken', pattern: '(unclosed' }] } })).rejects.toThrow(/masking\.rules\[0\]\.pattern/);
  });
});
