/**
 * The `sessions` topic: `{"type":"sessions","sessions":[…]}` once on subscribe and again whenever
 * the live list changes (coalesced). Each subscriber sees the sessions it may watch: its own, or
 * every session for approvers, auditors and admins.
 * It never sends a session to a subscriber who could not also watch it.
 */
import type { Gateway, SocketContext } from '../gateway.js';
import { abilitiesOf } from './access.js';
import { WatchLimits } from './limits.js';
import type { SessionTracker } from './session-tracker.js';
import type { Topic } from './subscriptions.js';

export function sessionsTopic(gateway: Gateway, tracker: SessionTracker): Topic {
  return {
    subscribe(context: SocketContext) {
      const { identity } = context;
      const all = abilitiesOf(gateway, identity).watchAll;
      const visible = () =>
        tracker.summaries().filter((summary) => all || (summary.user === identity.user && (!identity.actor || summary.actor === identity.actor)));
      const push = (): void => context.send({ type: 'sessions', sessions: visible() });
      let timer: NodeJS.Timeout | undefined;
      const onChange = (): void => {
        timer ??= setTimeout(() => {
          timer = undefined;
          push();
        }, WatchLimits.sessionsCoalesceMs);
      };
      tracker.on('change', onChange);
      push();
      return () => {
        tracker.off('change', onChange);
        if (timer) clearTimeout(timer);
      };
    },
  };
}
