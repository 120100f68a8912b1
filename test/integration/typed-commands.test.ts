/** Lines typed in a terminal session are commands too: rows, decisions and recording markers. */
import { readFileSync } from 'node:fs';
import * as pty from 'node-pty';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway({
    policy: { default: 'allow', rules: [{ name: 'no shutdown', match: { connection: 'shell', commands: ['shutdown'] }, action: 'deny' }] },
  });
});
afterAll(() => test.stop());

const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\r/g, '');

it('records each typed line with its decision, and marks the ones that ran', async () => {
  const term = pty.spawn(process.execPath, [BIN.shell, 'connect', 'shell'], {
    cols: 100,
    rows: 30,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token('alice'), TERM: 'xterm' },
  });
  let output = '';
  term.onData((data) => (output += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const waitFor = async (pattern: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(plain(output))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${JSON.stringify(plain(output).slice(-300))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await waitFor(/[#$] $/m);
  term.write('echo typed-$((20+1))\r');
  await waitFor(/\ntyped-21\n/);
  term.write('shutdown -h now\r');
  await waitFor(/no shutdown/);
  term.write('exit 0\r');
  expect(await exited).toBe(0);

  const [session] = test.gateway.store.listSessions({ user: 'alice' });
  const commands = test.gateway.store.listCommands(session!.id).map((row) => [row.text, row.decision, row.rule]);
  expect(commands).toEqual([
    ['echo typed-$((20+1))', 'allow', null],
    ['shutdown -h now', 'deny', 'no shutdown'],
    ['exit 0', 'allow', null],
  ]);
  const markers = readFileSync(session!.recording!, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"m"'))
    .map((line) => JSON.parse(line)[2]);
  expect(markers).toEqual(expect.arrayContaining(['$ echo typed-$((20+1))', expect.stringMatching(/denied: shutdown -h now/)]));
});
