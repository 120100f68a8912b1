/**
 * The `subscribe` / `unsubscribe` WebSocket messages and a tiny registry of topics behind them.
 * Each area registers its own topic (`sessions` here, `approvals` in the approvals module) with
 * `topicRegistry(gateway).register(name, topic)`; one handler serves every topic, so the message
 * shape stays `{"type":"subscribe","topics":[…]}` whoever adds topics.
 * It never decides who may see what: each topic checks access itself when a socket subscribes.
 */
import { GatewayError } from '../../errors.js';
import type { Gateway, SocketContext } from '../gateway.js';

/**
 * A live feed. `subscribe` runs once per socket and topic: it may send a snapshot at once, and
 * returns the function that stops the feed (called on unsubscribe or when the socket closes).
 * It throws a GatewayError (FORBIDDEN) to refuse the caller.
 */
export interface Topic {
  subscribe(context: SocketContext): () => void;
}

export class TopicRegistry {
  readonly #topics = new Map<string, Topic>();
  /** Per socket: the topics it is subscribed to and how to stop each. */
  readonly #active = new WeakMap<SocketContext['ws'], Map<string, () => void>>();

  register(name: string, topic: Topic): void {
    if (this.#topics.has(name)) throw new TypeError(`topic "${name}" is already registered`);
    this.#topics.set(name, topic);
  }

  get names(): string[] {
    return [...this.#topics.keys()];
  }

  subscribe(context: SocketContext, names: string[]): void {
    const unknown = names.filter((name) => !this.#topics.has(name));
    let refused: unknown =
      unknown.length > 0 ? new GatewayError('BAD_MESSAGE', `unknown topic ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${this.names.join(', ') || 'none'})`) : undefined;
    let active = this.#active.get(context.ws);
    if (!active) {
      const created = new Map<string, () => void>();
      this.#active.set(context.ws, created);
      context.onClose(() => {
        for (const stop of created.values()) stop();
        created.clear();
      });
      active = created;
    }
    const started: string[] = [];
    for (const name of new Set(names)) {
      if (active.has(name) || !this.#topics.has(name)) continue; // subscribing twice is harmless: one feed per topic
      try {
        active.set(name, this.#topics.get(name)!.subscribe(context));
        started.push(name);
      } catch (error) {
        refused ??= error; // the other topics still start; the caller hears about the refusal
      }
    }
    // After each topic's snapshot: the subscriber knows it has the whole current state.
    if (started.length > 0) context.send({ type: 'subscribed', topics: started });
    if (refused) throw refused;
  }

  unsubscribe(context: SocketContext, names: string[]): void {
    const active = this.#active.get(context.ws);
    for (const name of names) {
      active?.get(name)?.();
      active?.delete(name);
    }
  }
}

const registries = new WeakMap<Gateway, TopicRegistry>();

/** The gateway's topic registry; the first call installs the subscribe/unsubscribe handlers. */
// Handlers are async on purpose: the gateway wraps their result in a promise, so a synchronous
// throw would escape its error handling (and the process).
export function topicRegistry(gateway: Gateway): TopicRegistry {
  let registry = registries.get(gateway);
  if (registry) return registry;
  const created = new TopicRegistry();
  registries.set(gateway, created);
  gateway.socketHandlers.set('subscribe', async (context, message) => {
    if (message.type === 'subscribe') created.subscribe(context, message.topics);
  });
  gateway.socketHandlers.set('unsubscribe', async (context, message) => {
    if (message.type === 'unsubscribe') created.unsubscribe(context, message.topics);
  });
  return created;
}
