/** Inside `kubectl exec -it` of a broker session, lines typed into the pod's shell meet policy too. */
import * as pty from 'node-pty';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { BIN, startGateway, type TestGateway } from '../helpers/gateway.js';

let double: KubeApiDouble;
let test: TestGateway;
beforeAll(async () => {
  double = await startKubeApiDouble();
  test = await startGateway({
    connections: [{ name: 'k8s', type: 'kubernetes', kubeconfig: double.kubeconfigPath }],
    policy: { default: 'allow', rules: [{ name: 'no recursive rm in pods', match: { connection: 'k8s', commands: ['rm -rf'] }, action: 'deny' }] },
  });
});
afterAll(async () => {
  await test?.stop();
  await double?.stop();
});

const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\r/g, '');

it('refuses a denied line typed in the pod shell, and the shell goes on', async () => {
  const term = pty.spawn(process.execPath, [BIN.shell, 'connect', 'k8s'], {
    cols: 100,
    rows: 30,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, TERM: 'xterm', HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token('carol') },
  });
  let output = '';
  term.onData((data) => (output += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  let mark = 0;
  const waitFor = async (pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const match = pattern.exec(plain(output).slice(mark));
      if (match) {
        mark += match.index + match[0].length;
        return;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${JSON.stringify(plain(output).slice(-400))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  try {
    await waitFor(/k8s \(default\)> $/);
    term.write('exec -it web-1 -- sh\r');
    await waitFor(/[$#] $/);
    term.write('touch keep-me && rm -rf keep-me\r');
    await waitFor(/no recursive rm in pods/);
    term.write('ls keep-me 2>&1; echo after-$((1+1))\r');
    await waitFor(/\nafter-2\n/);
    expect(plain(output)).toMatch(/No such file|cannot access/);
    term.write('exit\r');
    await waitFor(/k8s \(default\)> $/);
    term.write('exit\r');
    expect(await exited).toBe(0);
  } finally {
    term.kill();
  }
  const [session] = test.gateway.store.listSessions({ user: 'carol' });
  const decisions = test.gateway.store.listCommands(session!.id).map((row) => [row.text, row.decision]);
  expect(decisions).toEqual(expect.arrayContaining([['touch keep-me && rm -rf keep-me', 'deny']]));
});
