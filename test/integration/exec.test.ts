import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway();
});
afterAll(() => test.stop());

describe('hoop-shell exec', () => {
  it('prints the output and exits 0', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'echo', 'hi']);
    expect(result).toMatchObject({ code: 0, stdout: 'hi\n' });
  });

  it("exits with the command's own status", async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'exit 3']);
    expect(result.code).toBe(3);
  });

  it('joins the words into one command line for the shell', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'printf "%s\\n" a b | wc -l']);
    expect(result.stdout.trim()).toBe('2');
  });

  it('pipes stdin to the command', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const result = await hoopShell(test, ['exec', 'shell', '--', 'wc', '-l'], { input: lines });
    expect(result).toMatchObject({ code: 0, stdout: '5000\n' });
  });

  it('keeps stdout and stderr apart', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--', 'echo out; echo err >&2']);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
  });

  it('--json prints one object with decision, exitCode and output', async () => {
    const result = await hoopShell(test, ['exec', 'shell', '--json', '--', 'echo', 'hello; exit 4']);
    expect(result.code).toBe(4);
    expect(JSON.parse(result.stdout)).toEqual({ decision: 'allow', exitCode: 4, output: 'hello\n' });
  });

  it('names an unknown connection and exits 1', async () => {
    const result = await hoopShell(test, ['exec', 'nope', '--', 'echo', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('hoop-shell: unknown connection "nope" (known: shell)\n');
  });

  it('exits 2 on a usage error', async () => {
    const result = await hoopShell(test, ['exec', 'shell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/needs a command after "--"/);
  });
});
