/** Inside `kubectl exec -it` of a broker session, lines typed into the pod's shell meet policy too. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { openTerminal } from '../helpers/terminal.js';

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

it('refuses a denied line typed in the pod shell, and the shell goes on', async () => {
  const terminal = openTerminal(['connect', 'k8s'], { TERM: 'xterm', HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token('carol') });
  try {
    await terminal.waitFor(/k8s \(default\)> $/);
    terminal.type('exec -it web-1 -- sh\r');
    await terminal.waitFor(/[$#] $/);
    terminal.type('touch keep-me && rm -rf keep-me\r');
    await terminal.waitFor(/no recursive rm in pods/);
    terminal.type('ls keep-me 2>&1; echo after-$((1+1))\r');
    await terminal.waitFor(/\nafter-2\n/);
    expect(terminal.text()).toMatch(/No such file|cannot access/);
    terminal.type('exit\r');
    await terminal.waitFor(/k8s \(default\)> $/);
    terminal.type('exit\r');
    expect(await terminal.exited).toBe(0);
  } finally {
    terminal.kill();
  }
  const [session] = test.gateway.store.listSessions({ user: 'carol' });
  const decisions = test.gateway.store.listCommands(session!.id).map((row) => [row.text, row.decision]);
  expect(decisions).toEqual(expect.arrayContaining([['touch keep-me && rm -rf keep-me', 'deny']]));
});
