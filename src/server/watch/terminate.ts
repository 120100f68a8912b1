/**
 * `POST /v1/sessions/:id/terminate {reason?}`: an approver or admin ends someone's live session.
 * The session's user is told who ended it and why, the recording gets a marker, the session row
 * keeps the reason, and `session.terminated` goes out on gateway.events for audit.
 * It never lets anyone else end a session, and never ends one silently.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import type { Identity } from '../auth/identity.js';
import { describeIdentity } from '../auth/identity.js';
import type { Gateway } from '../gateway.js';
import { abilitiesOf } from './access.js';
import { WatchLimits } from './limits.js';

const bodySchema = z.object({ reason: z.string().max(WatchLimits.maxReasonChars).optional() }).strict();

export function installTerminate(gateway: Gateway): void {
  gateway.router.add('POST', '/v1/sessions/:id/terminate', async ({ identity, params, body }) => {
    if (!abilitiesOf(gateway, identity).terminate) {
      throw new GatewayError('FORBIDDEN', 'only approvers and admins may terminate sessions');
    }
    const parsed = bodySchema.safeParse(await body());
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GatewayError('BAD_REQUEST', issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : `reason: ${issue.message}`);
    }
    const session = gateway.sessions.get(params.id!);
    if (!session || session.ended) throw new GatewayError('UNKNOWN_SESSION', `no live session ${params.id}`);
    const reason = parsed.data.reason?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || undefined;
    return terminateSession(gateway, session, identity, reason);
  });
}

export async function terminateSession(gateway: Gateway, session: import('../session/session.js').Session, by: Identity, reason?: string) {
  const who = describeIdentity(by);
  const ended = `terminated by ${who}${reason ? `: ${reason}` : ''}`;
  session.mark(`session ${ended}`);
  session.notify({ type: 'error', code: 'TERMINATED', message: `session ${ended}`, fatal: true });
  gateway.events.emit('session.terminated', session, { by: by.user, reason });
  gateway.logger.log('info', 'session.terminated', { session: session.id, by: by.user, reason });
  await session.end({ exitCode: null, reason: ended });
  return { id: session.id, terminated: true, by: by.user, ...(reason ? { reason } : {}) };
}
