/** Shared bits of the policy tests: waiting for a pending approval, deciding over HTTP. */
import type { ApprovalView } from '../../src/protocol/approval.js';
import type { TestGateway } from '../helpers/gateway.js';

export async function api<T>(test: TestGateway, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${test.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls until an approval matching `predicate` is pending (visible to `token`). */
export async function waitForPending(test: TestGateway, token: string, predicate: (approval: ApprovalView) => boolean = () => true, timeoutMs = 10_000): Promise<ApprovalView> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { body } = await api<ApprovalView[]>(test, token, 'GET', '/v1/approvals');
    const found = body.find((approval) => approval.status === 'pending' && predicate(approval));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no pending approval appeared');
}
