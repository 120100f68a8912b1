/**
 * `hoop-shell connect k8s` as a person uses it: in a real terminal (node-pty), the broker prompt,
 * interactive `exec -it` into a "pod", Ctrl-C stopping a follow, refusals, and leaving.
 */
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { BIN, startGateway, type TestGateway } from '../helpers/gateway.js';

let double: KubeApiDouble;
let test: TestGateway;

beforeAll(async () => {
  double = await startKubeApiDouble();
  test = await startGateway({ connections: [{ name: 'k8s', type: 'kubernetes', kubeconfig: double.kubeconfigPath }] });
});
afterAll(async () => {
  await test?.stop();
  await double?.stop();
});

/** A terminal running hoop-shell, with a screen-less transcript to wait on. */
class Terminal {
  readonly process: pty.IPty;
  output = '';
  #mark = 0;
  readonly exited: Promise<number>;

  constructor(args: string[], env: Record<string, string>) {
    this.process = pty.spawn(process.execPath, [BIN.shell, ...args], { cols: 100, rows: 30, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm-256color', ...env } });
    this.process.onData((data) => (this.output += data));
    this.exited = new Promise((resolve) => this.process.onExit(({ exitCode }) => resolve(exitCode)));
  }

  /** Waits until `pattern` appears after the last match; returns the text up to it. */
  async waitFor(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(this.#mark);
      const match = typeof pattern === 'string' ? (rest.includes(pattern) ? { index: rest.indexOf(pattern), 0: pattern } : null) : pattern.exec(rest);
      if (match) {
        this.#mark += match.index + match[0].length;
        return rest.slice(0, match.index + match[0].length);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; screen so far:\n${this.output.slice(-1500)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  type(text: string): void {
    this.process.write(text);
  }
}

describe('hoop-shell connect on a kubernetes connection', () => {
  it('prompts with connection and namespace, runs commands, exec -it into a pod, Ctrl-C stops a follow, exit leaves', async () => {
    const terminal = new Terminal(['connect', 'k8s'], { HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token('carol') });
    try {
      await terminal.waitFor('k8s (default)> ');

      terminal.type('get pods\r');
      const table = await terminal.waitFor('k8s (default)> ');
      expect(table).toMatch(/NAME\s+READY\s+STATUS/);
      expect(table).toMatch(/web-1\s+1\/1\s+Running/);

      // Line editing and history on the client side: up-arrow brings the last line back.
      terminal.type('\x1b[A');
      await terminal.waitFor('k8s (default)> get pods');
      terminal.type('\r');
      expect(await terminal.waitFor(/web-2\s+1\/1\s+Running[\s\S]*k8s \(default\)> /)).toMatch(/NAME\s+READY/);

      terminal.type('ns kube-system\r');
      await terminal.waitFor('k8s (kube-system)> ');
      terminal.type('get pods\r');
      expect(await terminal.waitFor('k8s (kube-system)> ')).toContain('No resources found in kube-system namespace.');
      terminal.type('ns default\r');
      await terminal.waitFor('k8s (default)> ');

      terminal.type('get pods --as=admin\r');
      expect(await terminal.waitFor('k8s (default)> ')).toMatch(/denied: --as is refused/);

      terminal.type('exec -it web-1 -- sh\r');
      await terminal.waitFor(/[$#] $/);
      terminal.type('echo inside-$((6*7)) && tty\r');
      const inside = await terminal.waitFor(/inside-42\s+\/dev\/pts\/\d+/);
      expect(inside).toContain('inside-42');
      terminal.type('exit\r');
      await terminal.waitFor('k8s (default)> ');

      terminal.type('logs -f web-1\r');
      await terminal.waitFor('web-1: ready');
      terminal.type('\x03');
      await terminal.waitFor('k8s (default)> ');

      terminal.type('exit\r');
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.process.kill();
    }
    const sessions = test.gateway.store.listSessions({ user: 'carol' });
    expect(sessions[0]).toMatchObject({ mode: 'broker', connection: 'k8s', state: 'ended' });
    const commands = test.gateway.store.listCommands(sessions[0]!.id).map((command) => command.text);
    expect(commands).toEqual(expect.arrayContaining(['kubectl get pods', 'kubectl exec -it web-1 -- sh', 'kubectl logs -f web-1']));
  });

  it('edit runs on the client: own editor, replace through the gateway; a Secret edit cannot write the placeholder back', async () => {
    const terminal = new Terminal(['connect', 'k8s'], {
      HOOP_GATEWAY: test.url,
      HOOP_TOKEN: await test.token(),
      EDITOR: 'sed -i -e s/nginx:1.27/nginx:1.28/ -e s/app:\\ web/app:\\ edited/',
    });
    try {
      await terminal.waitFor('k8s (default)> ');
      terminal.type('edit deployment/web\r');
      expect(await terminal.waitFor('k8s (default)> ')).toContain('deployment.apps/web edited');
      const deployment = double.objects.get('deployments', 'default', 'web') as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
      expect(deployment.spec.template.spec.containers[0]!.image).toBe('nginx:1.28');

      terminal.type('edit secret db\r');
      expect(await terminal.waitFor('k8s (default)> ')).toMatch(/placeholder/);
      expect(double.objects.get('secrets', 'default', 'db')?.metadata.labels).toEqual({ app: 'web' });

      terminal.type('exit\r');
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.process.kill();
    }
  });

  it('Ctrl-D leaves the prompt', async () => {
    const terminal = new Terminal(['connect', 'k8s'], { HOOP_GATEWAY: test.url, HOOP_TOKEN: await test.token() });
    try {
      await terminal.waitFor('k8s (default)> ');
      terminal.type('\x04');
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.process.kill();
    }
  });
});
