/**
 * The approvals API for hoop-shell, hoop-tui and agents (docs/protocol.md "Approvals"):
 * HTTP list/get/approve/deny, and the WebSocket `subscribe` to `approvals` that pushes
 * `{type:"approval", approval}` on every create and change. Each caller only ever sees the
 * approvals they may see, with `canDecide` computed for them.
 */
import type { Gateway, SocketContext } from '../gateway.js';
import { GatewayError } from '../../errors.js';
import type { ApprovalRecord } from './approval-store.js';
import type { ApprovalService } from './approvals.js';

export const SUBSCRIBE_TOPICS = ['approvals'] as const;

function bodyObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('BAD_REQUEST', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

function reasonOf(body: Record<string, unknown>): string | undefined {
  if (body.reason === undefined) return undefined;
  if (typeof body.reason !== 'string') throw new GatewayError('BAD_REQUEST', 'reason must be a string');
  if (body.reason.length > 2000) throw new GatewayError('BAD_REQUEST', 'reason is over 2000 characters');
  return body.reason;
}

export function registerApprovalRoutes(gateway: Gateway, approvals: ApprovalService): void {
  const { router } = gateway;
  router.add('GET', '/v1/approvals', ({ identity, query }) => approvals.list(identity, query.get('all') === 'true'));
  router.add('GET', '/v1/approvals/:id', ({ identity, params }) => {
    const approval = approvals.get(params.id!);
    if (!approval || !approvals.canSee(identity, approval)) throw new GatewayError('NOT_FOUND', `no approval ${params.id}`);
    return approvals.view(approval, identity);
  });
  for (const decision of ['approve', 'deny'] as const) {
    router.add('POST', `/v1/approvals/:id/${decision}`, async ({ identity, params, body }) => {
      const reason = reasonOf(bodyObject(await body()));
      return approvals.view(approvals.decide(identity, params.id!, decision, reason), identity);
    });
  }

  gateway.socketHandlers.set('subscribe', async (context: SocketContext, message) => {
    if (message.type !== 'subscribe') return;
    const unknown = message.topics.filter((topic) => !(SUBSCRIBE_TOPICS as readonly string[]).includes(topic));
    // Other modules may serve other topics; we only answer for ours and ignore the rest.
    if (!message.topics.includes('approvals')) {
      if (unknown.length > 0) throw new GatewayError('BAD_REQUEST', `unknown topic ${unknown.join(', ')} (known: approvals)`);
      return;
    }
    const listener = (record: ApprovalRecord): void => {
      if (approvals.canSee(context.identity, record)) context.send({ type: 'approval', approval: approvals.view(record, context.identity) });
    };
    gateway.events.on('approval', listener);
    context.onClose(() => gateway.events.off('approval', listener));
    // The current queue first, so a subscriber never misses what was pending before it came.
    for (const view of approvals.list(context.identity, false).reverse()) context.send({ type: 'approval', approval: view });
    context.send({ type: 'subscribed', topics: ['approvals'] });
  });
}
