/**
 * Installs the live views on a gateway: the `subscribe` topic registry with the `sessions` topic,
 * `watch`/`unwatch`, `POST /v1/sessions/:id/terminate` and `GET /v1/abilities`.
 * Wired with one line in the Gateway constructor; everything else lives in this folder.
 */
import type { Gateway } from '../gateway.js';
import { abilitiesOf } from './access.js';
import { SessionTracker } from './session-tracker.js';
import { sessionsTopic } from './sessions-topic.js';
import { installSessionWatch } from './session-watch.js';
import { topicRegistry } from './subscriptions.js';
import { installTerminate } from './terminate.js';

export { topicRegistry, type Topic } from './subscriptions.js';

export function installWatch(gateway: Gateway): SessionTracker {
  const tracker = new SessionTracker(gateway);
  topicRegistry(gateway).register('sessions', sessionsTopic(gateway, tracker));
  installSessionWatch(gateway, tracker);
  installTerminate(gateway);
  gateway.router.add('GET', '/v1/abilities', ({ identity }) => abilitiesOf(gateway, identity));
  return tracker;
}
