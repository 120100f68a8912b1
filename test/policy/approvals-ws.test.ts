/**
 * The approvals API as hoop-tui and agents use it: the WebSocket `subscribe` push, and the
 * held/approved/denied messages an agent's run receives.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import type { ApprovalView } from '../../src/protocol/approval.js';
import type { ServerMessage } from '../../src/protocol/messages.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { api } from './helpers.js';

let test: TestGateway;
beforeAll(async () => {
  test = await startGateway({
    policy: { rules: [{ name: 'touching prod needs on-call', match: { commands: ['touch /prod/*'] }, action: 'review', approvers: { groups: ['oncall'] } }] },
  });
});
afterAll(() => test.stop());

function subscribe(token: string): Promise<{ messages: ServerMessage[]; ws: WebSocket; next(predicate: (message: ServerMessage) => boolean): Promise<ServerMessage> }> {
  const ws = new WebSocket(`${test.url.replace('http', 'ws')}/v1/ws`, 'hoop.v1', { headers: { authorization: `Bearer ${token}` } });
  const messages: ServerMessage[] = [];
  const waiters: { predicate: (message: ServerMessage) => boolean; resolve: (message: ServerMessage) => void }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as ServerMessage;
    messages.push(message);
    for (const waiter of [...waiters]) if (waiter.predicate(message)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  const next = (predicate: (message: ServerMessage) => boolean): Promise<ServerMessage> => {
    const seen = messages.find(predicate);
    if (seen) {
      messages.splice(messages.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => waiters.push({ predicate, resolve: (message) => (messages.splice(messages.indexOf(message), 1), resolve(message)) }));
  };
  return new Promise((resolve) => {
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', topics: ['approvals'] }));
      void next((message) => message.type === 'subscribed').then(() => resolve({ messages, ws, next }));
    });
  });
}

describe('approvals over the WebSocket', () => {
  it('pushes every create and change to subscribed approvers; the agent gets held then approved', async () => {
    const bob = await subscribe(await test.token('bob', ['oncall']));
    const outsider = await subscribe(await test.token('eve', ['dev']));
    const agent = new GatewayClient({ url: test.url, token: await test.token('alice', ['dev'], { actor: 'claude-1' }) });
    const session = await agent.openSession({ connection: 'shell' });
    const agentMessages: ServerMessage[] = [];
    session.on('message', (message) => agentMessages.push(message));
    const run = session.run('touch /prod/x 2>/dev/null; echo done', { collect: true });

    const created = await bob.next((message) => message.type === 'approval' && message.approval.status === 'pending');
    const approval = (created as Extract<ServerMessage, { type: 'approval' }>).approval;
    expect(approval).toMatchObject({ requester: 'alice', actor: 'claude-1', command: 'touch /prod/x 2>/dev/null; echo done', rule: 'touching prod needs on-call', groups: ['oncall'], count: 1, canDecide: true, approvals: [] });
    expect(approval.why).toEqual(['command matches "touch /prod/*"']);
    expect(Date.parse(approval.expiresAt) - Date.parse(approval.createdAt)).toBe(15 * 60 * 1000);

    const decided = await api<ApprovalView>(test, await test.token('bob', ['oncall']), 'POST', `/v1/approvals/${approval.id}/approve`, { reason: 'fine' });
    expect(decided.body).toMatchObject({ status: 'approved', approvals: [{ by: 'bob', reason: 'fine' }] });
    const changed = await bob.next((message) => message.type === 'approval' && message.approval.status === 'approved');
    expect((changed as Extract<ServerMessage, { type: 'approval' }>).approval.id).toBe(approval.id);

    const result = await run.result;
    expect(result).toMatchObject({ decision: 'review', approval: approval.id, approvedBy: ['bob'], exitCode: 0, output: 'done\n' });
    const types = agentMessages.map((message) => message.type);
    expect(types.indexOf('held')).toBeLessThan(types.indexOf('approved'));
    expect(types.indexOf('approved')).toBeLessThan(types.indexOf('run.started'));
    expect(agentMessages.find((message) => message.type === 'held')).toMatchObject({ approval: approval.id, rule: 'touching prod needs on-call', needs: '1 of oncall' });
    // eve is neither requester nor approver: she saw nothing.
    expect(outsider.messages.filter((message) => message.type === 'approval')).toEqual([]);
    await session.close();
    bob.ws.close();
    outsider.ws.close();
  });

  it('HTTP: 404 for an unknown id, 400 for a deny without reason, and GET shows canDecide per caller', async () => {
    const bobToken = await test.token('bob', ['oncall']);
    expect((await api(test, bobToken, 'GET', '/v1/approvals/nope')).status).toBe(404);
    const client = new GatewayClient({ url: test.url, token: await test.token('alice', ['dev']) });
    const session = await client.openSession({ connection: 'shell' });
    const run = session.run('touch /prod/y');
    const bob = await subscribe(bobToken);
    const pushed = (await bob.next((message) => message.type === 'approval' && message.approval.status === 'pending')) as Extract<ServerMessage, { type: 'approval' }>;
    const asAlice = await api<ApprovalView>(test, await test.token('alice', ['dev', 'oncall']), 'GET', `/v1/approvals/${pushed.approval.id}`);
    expect(asAlice.body).toMatchObject({ canDecide: false, cannotDecideBecause: expect.stringMatching(/self-approval is not allowed/) });
    expect((await api(test, bobToken, 'POST', `/v1/approvals/${pushed.approval.id}/deny`, { reason: '  ' })).status).toBe(400);
    const denied = await api<ApprovalView>(test, bobToken, 'POST', `/v1/approvals/${pushed.approval.id}/deny`, { reason: 'prod is frozen' });
    expect(denied.body).toMatchObject({ status: 'denied', deniedBy: 'bob', reason: 'prod is frozen', canDecide: false });
    expect(await run.result).toMatchObject({ decision: 'deny', deniedBy: 'bob', reason: 'prod is frozen', exitCode: 77 });
    await session.close();
    bob.ws.close();
  });

  it('an unknown topic is refused with a one-line reason', async () => {
    const ws = new WebSocket(`${test.url.replace('http', 'ws')}/v1/ws`, 'hoop.v1', { headers: { authorization: `Bearer ${await test.token('bob', ['oncall'])}` } });
    const error = await new Promise<ServerMessage>((resolve) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', topics: ['weather'] })));
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type === 'error') resolve(message);
      });
    });
    expect(error).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: 'unknown topic weather (known: approvals)', fatal: false });
    ws.close();
  });
});
