/** The cluster's API server going away: the user gets a clear error, nothing hangs. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';
import { hoopShell, startGateway, type TestGateway } from '../helpers/gateway.js';

let double: KubeApiDouble;
let test: TestGateway;
beforeAll(async () => {
  double = await startKubeApiDouble();
  // Our own copy: the double removes its files when it stops, and only the server should vanish.
  const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'hoop-gone-')), 'kubeconfig');
  copyFileSync(double.kubeconfigPath, kubeconfig);
  test = await startGateway({ connections: [{ name: 'k8s', type: 'kubernetes', kubeconfig }] });
});
afterAll(async () => {
  await test?.stop();
  await double?.stop().catch(() => {});
});

describe('the API server goes away', () => {
  it('ends a running watch instead of hanging, then refuses new requests with a clear reason', async () => {
    const token = await test.token('alice');
    const watching = hoopShell(test, ['exec', 'k8s', '--', 'get', 'pods', '--watch'], { token, timeoutMs: 30_000 });
    const deadline = Date.now() + 10_000;
    while (!double.requests.some((request) => request.query.watch === 'true') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await double.stop();
    const watch = await watching;
    expect(watch.stdout).toMatch(/web-1/);
    expect(watch.code).not.toBeNull();

    const after = await hoopShell(test, ['exec', 'k8s', '--', 'get', 'pods'], { token, timeoutMs: 60_000 });
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/an error on the server \("hoop-shell: cannot reach the API server of connection \\"k8s\\" \(ECONNREFUSED\)"\)/);
  });
});
