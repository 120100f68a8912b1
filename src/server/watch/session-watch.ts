/**
 * `{"type":"watch","session":ID}`: follow another session's terminal. The watcher gets
 * `watching` (size and recent output), then `watch.output` / `watch.resize` / `watch.marker`,
 * `watch.skipped` after dropped output, and `watch.end`. `{"type":"unwatch","session":ID}` stops.
 * It never slows the watched session: output for a watcher whose socket is backed up is dropped
 * and counted, never queued without bound, and the session's own backpressure never sees it.
 */
import type { WebSocket } from 'ws';
import { GatewayError } from '../../errors.js';
import type { Gateway, SocketContext } from '../gateway.js';
import type { Session } from '../session/session.js';
import { mayWatch } from './access.js';
import { WatchLimits } from './limits.js';
import type { SessionTracker } from './session-tracker.js';

/** Per socket: the sessions it watches and how to stop each. */
const watchesBySocket = new WeakMap<WebSocket, Map<string, () => void>>();

export function installSessionWatch(gateway: Gateway, tracker: SessionTracker): void {
  gateway.socketHandlers.set('watch', async (context, message) => {
    if (message.type === 'watch') startWatch(gateway, tracker, context, message.session);
  });
  gateway.socketHandlers.set('unwatch', async (context, message) => {
    if (message.type !== 'unwatch') return;
    const watches = watchesBySocket.get(context.ws);
    watches?.get(message.session)?.();
  });
}

function startWatch(gateway: Gateway, tracker: SessionTracker, context: SocketContext, id: string): void {
  const tracked = tracker.get(id);
  const session = tracked?.session;
  if (!session || session.ended || !mayWatch(gateway, context.identity, session)) {
    // Same answer for "no such session" and "not yours": ids of others' sessions do not leak.
    throw new GatewayError('FORBIDDEN', `cannot watch session ${id}: no such live session you may watch (approvers, auditors and admins may watch any)`);
  }
  let watches = watchesBySocket.get(context.ws);
  if (!watches) {
    const created = new Map<string, () => void>();
    watchesBySocket.set(context.ws, created);
    context.onClose(() => {
      for (const stop of [...created.values()]) stop();
    });
    watches = created;
  }
  watches.get(id)?.(); // watching again restarts with a fresh snapshot
  const ws = context.ws;
  const sendNow = (message: Record<string, unknown>): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  let skipped = 0;
  let recovery: NodeJS.Timeout | undefined;
  const reportSkipped = (): void => {
    if (skipped === 0) return;
    sendNow({ type: 'watch.skipped', session: id, bytes: skipped });
    skipped = 0;
  };
  // Once output was dropped, look at the socket until it has drained, so the watcher hears about
  // the gap even when the session goes quiet.
  const awaitRecovery = (): void => {
    recovery ??= setInterval(() => {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount <= WatchLimits.watcherBufferBytes) {
        clearInterval(recovery);
        recovery = undefined;
        reportSkipped();
      }
    }, WatchLimits.recoveryCheckMs).unref();
  };
  const onOutput = (_stream: number, chunk: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (recovery || ws.bufferedAmount > WatchLimits.watcherBufferBytes) {
      skipped += chunk.length;
      awaitRecovery();
      return;
    }
    sendNow({ type: 'watch.output', session: id, data: chunk.toString('base64') });
  };
  const onResize = (cols: number, rows: number): void => sendNow({ type: 'watch.resize', session: id, cols, rows });
  const onMarker = (marked: Session, label: string): void => {
    if (marked === session) sendNow({ type: 'watch.marker', session: id, label, at: new Date().toISOString() });
  };
  const onEnd = (outcome: { reason?: string; exitCode?: number | null }): void => {
    sendNow({ type: 'watch.end', session: id, ...(outcome?.reason ? { reason: outcome.reason } : {}), exitCode: outcome?.exitCode ?? null });
    stop();
  };
  const stop = (): void => {
    if (recovery) clearInterval(recovery);
    session.off('output', onOutput);
    session.off('resize', onResize);
    session.off('end', onEnd);
    tracker.off('marker', onMarker);
    if (watches!.get(id) === stop) watches!.delete(id);
  };
  watches.set(id, stop);
  const { cols, rows } = session.size;
  sendNow({
    type: 'watching',
    session: id,
    user: session.identity.user,
    ...(session.identity.actor ? { actor: session.identity.actor } : {}),
    connection: session.connection.name,
    cols,
    rows,
    recent: tracked.recent.snapshot().toString('base64'),
    markers: [...tracked.markers],
  });
  session.on('output', onOutput);
  session.on('resize', onResize);
  session.once('end', onEnd);
  tracker.on('marker', onMarker);
}
