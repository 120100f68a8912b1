/** Lines typed in a terminal session are commands too: rows, decisions and recording markers. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { openTerminal } from '../helpers/terminal.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway({
    policy: { default: 'allow', rules: [{ name: 'no shutdown', match: { connection: 'shell', commands: ['shutdown'] }, action: 'deny' }] },
  });
});
afterAll(() => test.stop());

it('records each typed line with its decision, and marks the ones that ran', async () => {
  const terminal = openTerminal(['connect', 'shell'], { HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token('alice'), TERM: 'xterm' });
  await terminal.waitFor(/[#$] $/m);
  terminal.type('echo typed-$((20+1))\r');
  await terminal.waitFor(/\ntyped-21\n/);
  terminal.type('shutdown -h now\r');
  await terminal.waitFor(/no shutdown/);
  terminal.type('exit 0\r');
  expect(await terminal.exited).toBe(0);

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
