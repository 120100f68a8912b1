/**
 * Renders the console with given state and recording actions (ink-testing-library), and types
 * keys into it. `screen()` fails on an empty frame so silent breakage cannot pass.
 */
import { render } from 'ink-testing-library';
import type { Approval, LiveSessionInfo } from '../../src/client/approvals.js';
import { Console } from '../../src/tui/components/Console.js';
import { ConsoleProvider, type ConsoleActions, type ConsoleState, type WatchListener } from '../../src/tui/contexts/ConsoleContext.js';

export interface Recorded {
  approve: [string, string | undefined][];
  deny: [string, string][];
  terminate: [string, string | undefined][];
  watch: string[];
  quit: number;
  listeners: Map<string, WatchListener>;
}

export function approval(overrides: Partial<Approval> = {}): Approval {
  const now = Date.now();
  return {
    id: 'ap-0001-aaaa',
    status: 'pending',
    layer: 'command',
    requester: 'alice',
    connection: 'k8s-prod',
    sessionId: 'sess-1',
    command: 'kubectl delete pod web-1',
    rule: 'deleting pods needs on-call',
    why: ['verb delete', 'resource pods'],
    groups: ['oncall'],
    count: 1,
    approvals: [],
    createdAt: new Date(now - 125_000).toISOString(),
    expiresAt: new Date(now + 13 * 60_000 + 30_000).toISOString(),
    canDecide: true,
    ...overrides,
  };
}

export function liveSession(overrides: Partial<LiveSessionInfo> = {}): LiveSessionInfo {
  return { id: 'sess-1', user: 'alice', actor: null, connection: 'shell', mode: 'shell', startedAt: new Date(Date.now() - 60_000).toISOString(), commands: 3, held: false, cols: 80, rows: 24, ...overrides };
}

export function baseState(overrides: Partial<ConsoleState> = {}): ConsoleState {
  return {
    gatewayUrl: 'http://gw.test:8009',
    me: { user: 'bob', groups: ['oncall'] },
    abilities: { approve: true, watchAll: true, terminate: true, roles: ['approver'] },
    link: { state: 'connected', since: Date.now(), reconnected: false },
    ready: true,
    approvals: [],
    sessions: [],
    history: { entries: [], loading: false },
    theme: { color: false },
    ...overrides,
  };
}

export function renderConsole(initial: ConsoleState) {
  const recorded: Recorded = { approve: [], deny: [], terminate: [], watch: [], quit: 0, listeners: new Map() };
  const actions: ConsoleActions = {
    approve: async (id, reason) => void recorded.approve.push([id, reason]),
    deny: async (id, reason) => void recorded.deny.push([id, reason]),
    terminate: async (id, reason) => void recorded.terminate.push([id, reason]),
    watch: (id, listener) => {
      recorded.watch.push(id);
      recorded.listeners.set(id, listener);
      return () => recorded.listeners.delete(id);
    },
    loadHistory: () => {},
    quit: () => void (recorded.quit += 1),
  };
  const tree = (state: ConsoleState) => (
    <ConsoleProvider state={state} actions={actions}>
      <Console />
    </ConsoleProvider>
  );
  const instance = render(tree(initial));
  const ready = settle();
  return {
    recorded,
    instance,
    ready,
    rerender: async (state: ConsoleState) => {
      instance.rerender(tree(state));
      await settle();
    },
    screen(): string {
      const frame = instance.lastFrame();
      if (!frame || frame.trim() === '') throw new Error('the console rendered an empty frame');
      return frame;
    },
    /** Polls until `condition` holds (effects such as starting a watch run after the frame). */
    async until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; screen:\n${instance.lastFrame()}`);
        await settle(10);
      }
    },
    /** Types keys (a string, or named keys) and lets React render. */
    async press(...keys: string[]): Promise<void> {
      for (const key of keys) {
        const before = instance.frames.length;
        instance.stdin.write(key);
        // Wait for the frame this key causes (slow when the machine is busy), then a little more.
        const deadline = Date.now() + 2000;
        while (instance.frames.length === before && Date.now() < deadline) await settle(10);
        await settle(30);
      }
    },
  };
}

/** Lets React commit and Ink draw (it throttles frames). */
export function settle(ms = 80): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const KEY = { enter: '\r', escape: '\u001b', down: '\u001b[B', up: '\u001b[A', tab: '\t' };
