/**
 * The whole app in-process (ink-testing-library) against a real gateway through the real client:
 * the live feed, the bell on a new hold, and a read-only user's view.
 */
import { cleanup, render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { App } from '../../src/tui/App.js';
import { gatewayBackend } from '../../src/tui/backend.js';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway({
    roles: { approver: ['oncall'] },
    policy: { default: 'allow', rules: [{ name: 'risky needs on-call', match: { commands: ['hoop-risky'] }, action: 'review', approvers: { groups: ['oncall'] }, timeout: '1m' }] },
  });
});
afterAll(() => test.stop());
afterEach(() => cleanup());

async function until(condition: () => boolean, what: () => string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out; screen:\n${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function console(user: string, groups: string[]) {
  let bells = 0;
  const client = new GatewayClient({ url: test.url, token: await test.token(user, groups) });
  const backend = gatewayBackend(client, { bell: () => void (bells += 1), quit: () => {} });
  const instance = render(<App backend={backend} theme={{ color: false }} />);
  return { instance, bells: () => bells, frame: () => instance.lastFrame() ?? '' };
}

describe('hoop-tui against a live gateway', () => {
  it('shows a new hold live and rings the bell once; the decision is shown after', async () => {
    const bob = await console('bob', ['oncall']);
    await until(() => bob.frame().includes('● connected'), bob.frame);
    expect(bob.bells()).toBe(0);
    const exec = hoopShell(test, ['exec', 'shell', '--timeout', '20s', '--', 'hoop-risky --now'], { token: await test.token('alice', ['dev']) });
    await until(() => bob.frame().includes('Approvals (1 pending)'), bob.frame);
    expect(bob.bells()).toBe(1);
    bob.instance.stdin.write('1');
    await until(() => bob.frame().includes('$ hoop-risky --now'), bob.frame);
    bob.instance.stdin.write('d');
    await until(() => bob.frame().includes('reason (required)'), bob.frame);
    bob.instance.stdin.write('not today\r');
    const result = await exec;
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('not today');
    await until(() => bob.frame().includes('denied ') && !bob.frame().includes('(1 pending)'), bob.frame);
    bob.instance.stdin.write('v');
    await until(() => bob.frame().includes('✗ denied by bob: not today'), bob.frame);
    expect(bob.bells()).toBe(1);
    // history: the command with its decision and the replay link of its session
    bob.instance.stdin.write('3');
    await until(() => /alice@shell\s+deny.*→ 77\s+\$ hoop-risky --now/.test(bob.frame()), bob.frame);
    expect(bob.frame()).toMatch(new RegExp(`replay: ${test.url}/replay/[0-9a-f-]{36}`));
  });

  it('gives a user without a role a read-only view and refuses a terminate', async () => {
    const dave = await console('dave', ['dev']);
    await until(() => dave.frame().includes('dave (read-only)'), dave.frame);
    const session = await new GatewayClient({ url: test.url, token: await test.token('dave', ['dev']) }).openSession({ connection: 'shell', interactive: true });
    dave.instance.stdin.write('2');
    await until(() => /dave\s+shell/.test(dave.frame()), dave.frame);
    dave.instance.stdin.write('x');
    await until(() => dave.frame().includes('only approvers and admins may terminate sessions'), dave.frame);
    await session.close();
  });
});
