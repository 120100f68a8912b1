/** Component tests of the console (ink-testing-library): what an approver sees and what keys do. */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { themeFor } from '../../src/tui/theme.js';
import { KEY, approval, baseState, liveSession, renderConsole } from './render-console.js';

afterEach(() => cleanup());

describe('approvals queue', () => {
  it('shows requester and agent, connection, exact command, rule and why, what is needed, age and time left', async () => {
    const view = renderConsole(baseState({ approvals: [approval({ actor: 'claude-1' })] }));
    await view.ready;
    const screen = view.screen();
    expect(screen).toContain('Approvals (1 pending)');
    expect(screen).toContain('alice via agent claude-1 @ k8s-prod');
    expect(screen).toContain('$ kubectl delete pod web-1');
    expect(screen).toContain('rule "deleting pods needs on-call": verb delete; resource pods');
    expect(screen).toContain('needs 1 more of oncall');
    expect(screen).toMatch(/2m ago · 13m left/);
  });

  it('shows the API request of an API-layer hold', async () => {
    const view = renderConsole(baseState({ approvals: [approval({ command: 'sh -c "$(echo …)"', apiRequest: 'DELETE /api/v1/namespaces/default/pods/web-1', layer: 'api' })] }));
    await view.ready;
    expect(view.screen()).toContain('[API: DELETE /api/v1/namespaces/default/pods/web-1]');
  });

  it('lists the soonest to expire first and moves the selection with the arrows', async () => {
    const later = approval({ id: 'ap-late', command: 'kubectl delete pod later', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const sooner = approval({ id: 'ap-soon', command: 'kubectl delete pod sooner', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const view = renderConsole(baseState({ approvals: [later, sooner] }));
    await view.ready;
    expect(view.screen().indexOf('sooner')).toBeLessThan(view.screen().indexOf('later'));
    await view.press(KEY.down, 'a', KEY.enter);
    expect(view.recorded.approve).toEqual([['ap-late', undefined]]);
  });

  it('a approves with an optional reason', async () => {
    const view = renderConsole(baseState({ approvals: [approval()] }));
    await view.ready;
    await view.press('a');
    expect(view.screen()).toContain('Approve alice: $ kubectl delete pod web-1');
    await view.press('looks fine', KEY.enter);
    expect(view.recorded.approve).toEqual([['ap-0001-aaaa', 'looks fine']]);
    await view.until(() => view.screen().includes('approved ap-0001-'));
  });

  it('d denies only with a reason', async () => {
    const view = renderConsole(baseState({ approvals: [approval()] }));
    await view.ready;
    await view.press('d', KEY.enter);
    expect(view.recorded.deny).toEqual([]);
    expect(view.screen()).toContain('a reason is required to deny');
    await view.press('   ', KEY.enter);
    expect(view.recorded.deny).toEqual([]);
    await view.press('not during the freeze', KEY.enter);
    expect(view.recorded.deny).toEqual([['ap-0001-aaaa', 'not during the freeze']]);
  });

  it('Esc cancels a prompt without deciding', async () => {
    const view = renderConsole(baseState({ approvals: [approval()] }));
    await view.ready;
    await view.press('a', 'oops', KEY.escape);
    expect(view.recorded.approve).toEqual([]);
    expect(view.screen()).not.toContain('Approve alice');
  });

  it("shows the approver's own request but refuses to approve it", async () => {
    const mine = approval({ requester: 'bob', canDecide: false, cannotDecideBecause: 'you cannot approve your own request' });
    const view = renderConsole(baseState({ approvals: [mine] }));
    await view.ready;
    expect(view.screen()).toContain('⊘ your own request: someone else must decide');
    await view.press('a');
    expect(view.screen()).toContain('cannot approve: your own request');
    expect(view.screen()).not.toContain('reason (optional)'); // no prompt opened
    await view.press('d');
    expect(view.screen()).toContain('cannot deny: your own request');
    await view.press('x', KEY.enter);
    expect(view.recorded.approve).toEqual([]);
    expect(view.recorded.deny).toEqual([]);
  });

  it("refuses an agent's request to the engineer behind the agent too (the gateway says so)", async () => {
    const agents = approval({ requester: 'carol', actor: 'claude-1', canDecide: false, cannotDecideBecause: 'the agent acts for you' });
    const view = renderConsole(baseState({ me: { user: 'carol', groups: ['oncall'] }, approvals: [agents] }));
    await view.ready;
    await view.press('a');
    expect(view.recorded.approve).toEqual([]);
    expect(view.screen()).toContain('cannot approve: your own request');
  });

  it('gives users without an approver role a read-only view with a clear note', async () => {
    const view = renderConsole(
      baseState({ me: { user: 'dave', groups: ['dev'] }, abilities: { approve: false, watchAll: false, terminate: false, roles: [] }, approvals: [approval({ canDecide: false })] }),
    );
    await view.ready;
    expect(view.screen()).toContain('read-only: you are not an approver');
    expect(view.screen()).toContain('dave (read-only)');
    await view.press('a');
    expect(view.recorded.approve).toEqual([]);
    expect(view.screen()).toContain('cannot approve: read-only');
  });

  it('shows who decided, once decided requests are shown', async () => {
    const decided = [
      approval({ id: 'ap-ok', status: 'approved', command: 'kubectl delete pod a', approvals: [{ by: 'bob', at: new Date().toISOString() }], decidedAt: new Date().toISOString(), canDecide: false }),
      approval({ id: 'ap-no', status: 'denied', command: 'kubectl delete pod b', deniedBy: 'erin', reason: 'freeze', decidedAt: new Date().toISOString(), canDecide: false }),
    ];
    const view = renderConsole(baseState({ approvals: decided }));
    await view.ready;
    await view.press('1'); // nothing pending: the console opened on live sessions
    expect(view.screen()).toContain('No commands are waiting');
    await view.press('v');
    expect(view.screen()).toContain('✓ approved by bob');
    expect(view.screen()).toContain('✗ denied by erin: freeze');
  });

  it('picks up new holds live', async () => {
    const view = renderConsole(baseState({ approvals: [] }));
    await view.ready;
    await view.press('1');
    expect(view.screen()).toContain('No commands are waiting');
    await view.rerender(baseState({ approvals: [approval({ command: 'kubectl delete pod fresh' })] }));
    expect(view.screen()).toContain('$ kubectl delete pod fresh');
    expect(view.screen()).toContain('Approvals (1 pending)');
  });

  it('Enter opens details with the session output from the watch', async () => {
    const view = renderConsole(baseState({ approvals: [approval()] }));
    await view.ready;
    await view.press(KEY.enter);
    await view.until(() => view.recorded.listeners.has('sess-1'));
    expect(view.recorded.watch).toEqual(['sess-1']);
    const listener = view.recorded.listeners.get('sess-1')!;
    listener.started({ cols: 80, rows: 10, recent: Buffer.from('$ kubectl get pods\r\nweb-1   Running\r\n'), user: 'alice', connection: 'k8s-prod' });
    listener.output(Buffer.from('$ kubectl delete pod web-1\r\n'));
    await view.until(() => view.screen().includes('web-1   Running'));
    const screen = view.screen();
    expect(screen).toContain('requester   alice');
    expect(screen).toContain('web-1   Running');
    expect(screen).toContain('$ kubectl delete pod web-1');
    await view.press(KEY.escape);
    await view.until(() => !view.recorded.listeners.has('sess-1')); // leaving stops the watch
  });
});

describe('sessions and watch', () => {
  it('lists live sessions with user, agent, connection, commands and held', async () => {
    const view = renderConsole(baseState({ sessions: [liveSession(), liveSession({ id: 'sess-2', user: 'erin', actor: 'bot-7', held: true, commands: 9 })] }));
    await view.ready;
    await view.press('2');
    const screen = view.screen();
    expect(screen).toMatch(/alice\s+shell\s+\d\d:\d\d:\d\d 1m ago\s+3\s+-/);
    expect(screen).toMatch(/erin via agent bot-7\s+shell.*9\s+⏸ held/);
  });

  it('watches the selected session, follows resizes and shows markers; x asks before terminating', async () => {
    const view = renderConsole(baseState({ sessions: [liveSession()] }));
    await view.ready;
    await view.press('2', 'w');
    await view.until(() => view.recorded.listeners.has('sess-1'));
    const listener = view.recorded.listeners.get('sess-1')!;
    listener.started({ cols: 40, rows: 5, recent: Buffer.from('bash$ '), user: 'alice', connection: 'shell' });
    listener.output(Buffer.from('echo hi\r\nhi\r\nbash$ '));
    listener.marker('$ echo hi', new Date().toISOString());
    listener.resize(60, 8);
    await view.until(() => view.screen().includes('live 60×8'));
    expect(view.screen()).toContain('watching alice @ shell · live 60×8');
    expect(view.screen()).toContain('$ echo hi');
    await view.press('x');
    expect(view.screen()).toContain("Terminate alice's session on shell?");
    await view.press(KEY.escape);
    expect(view.recorded.terminate).toEqual([]);
    await view.press('x', 'incident 7', KEY.enter);
    expect(view.recorded.terminate).toEqual([['sess-1', 'incident 7']]);
  });

  it('says when output was skipped and when the session ended', async () => {
    const view = renderConsole(baseState({ sessions: [liveSession()] }));
    await view.ready;
    await view.press('2', KEY.enter);
    await view.until(() => view.recorded.listeners.has('sess-1'));
    const listener = view.recorded.listeners.get('sess-1')!;
    listener.started({ cols: 80, rows: 24, recent: Buffer.alloc(0), user: 'alice', connection: 'shell' });
    listener.skipped(4096);
    await view.until(() => view.screen().includes('4096 bytes skipped'));
    expect(view.screen()).toContain('4096 bytes skipped');
    listener.ended('terminated by bob: done');
    await view.until(() => view.screen().includes('session ended: terminated by bob: done'));
    expect(view.screen()).toContain('session ended: terminated by bob: done');
  });
});

describe('layout', () => {
  it('has help with every key, and the keys of the screen in the footer', async () => {
    const view = renderConsole(baseState({ approvals: [approval()] }));
    await view.ready;
    expect(view.screen()).toMatch(/Enter open\s+a approve\s+d deny/);
    await view.press('?');
    expect(view.screen()).toContain('show or hide this help');
    expect(view.screen()).toContain('terminate the session (asks to confirm)');
    await view.press('?');
    expect(view.screen()).toContain('$ kubectl delete pod web-1');
  });

  it('says when the gateway is unreachable and when it is back', async () => {
    const view = renderConsole(baseState({ link: { state: 'reconnecting', attempt: 3, reason: 'connection refused' } }));
    await view.ready;
    expect(view.screen()).toContain('gateway unreachable: connection refused — reconnecting (attempt 3)');
    await view.rerender(baseState({ link: { state: 'connected', since: Date.now(), reconnected: true } }));
    expect(view.screen()).toContain('● connected');
  });

  it('starts on live sessions when nothing is pending', async () => {
    const view = renderConsole(baseState({ sessions: [liveSession()] }));
    await view.ready;
    expect(view.screen()).toContain('USER');
  });

  it('drops colours with NO_COLOR', () => {
    expect(themeFor({ NO_COLOR: '1' })).toEqual({ color: false });
    expect(themeFor({}).color).toBe(true);
  });

  it('quits on q', async () => {
    const view = renderConsole(baseState());
    await view.ready;
    await view.press('q');
    expect(view.recorded.quit).toBe(1);
  });
});
