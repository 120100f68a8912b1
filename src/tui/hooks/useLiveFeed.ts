/**
 * The console's connection to the gateway: one LiveConnection subscribed to `approvals` and
 * `sessions`, rebuilt with backoff whenever it drops (a gateway restart), with the state the
 * views draw. Rings the bell when a new hold arrives after the first snapshot.
 * It never retries a decision by itself: approve/deny/terminate are single HTTP calls.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Abilities, Approval, LiveSessionInfo } from '../../client/approvals.js';
import type { LiveConnection } from '../../client/live.js';
import type { ConsoleActions, ConsoleState, HistoryEntry, LinkStatus, WatchListener } from '../contexts/ConsoleContext.js';
import type { Theme } from '../theme.js';

/** What the feed needs from the outside world (the client library, the terminal). */
export interface ConsoleBackend {
  gatewayUrl: string;
  whoami(): Promise<{ user: string; groups: string[]; actor?: string }>;
  abilities(): Promise<Abilities>;
  live(): Promise<LiveConnection>;
  approve(id: string, reason?: string): Promise<unknown>;
  deny(id: string, reason: string): Promise<unknown>;
  terminate(id: string, reason?: string): Promise<unknown>;
  history(): Promise<HistoryEntry[]>;
  bell(): void;
  quit(): void;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 3000];

export function useLiveFeed(backend: ConsoleBackend, theme: Theme): { state: ConsoleState; actions: ConsoleActions } {
  const [link, setLink] = useState<LinkStatus>({ state: 'connecting' });
  const [me, setMe] = useState<ConsoleState['me']>();
  const [abilities, setAbilities] = useState<Abilities>();
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [sessions, setSessions] = useState<LiveSessionInfo[]>([]);
  const [ready, setReady] = useState(false);
  const [history, setHistory] = useState<ConsoleState['history']>({ entries: [], loading: false });
  const liveRef = useRef<LiveConnection | undefined>(undefined);
  /** Watches to restart after a reconnect, by session id. */
  const watchers = useRef(new Map<string, Set<WatchListener>>());

  useEffect(() => {
    let stopped = false;
    let attempt = 0;
    let retry: NodeJS.Timeout | undefined;
    let everConnected = false;

    const connect = async (): Promise<void> => {
      try {
        const [identity, can] = await Promise.all([backend.whoami(), backend.abilities()]);
        const live = await backend.live();
        if (stopped) return live.close();
        setMe(identity);
        setAbilities(can);
        liveRef.current = live;
        const known = new Set<string>();
        let snapshotDone = false;
        live.on('approval', (approval) => {
          if (snapshotDone && approval.status === 'pending' && !known.has(approval.id)) backend.bell();
          known.add(approval.id);
          setApprovals((before) => [approval, ...before.filter((a) => a.id !== approval.id)]);
        });
        live.on('sessions', (message) => setSessions(message.sessions));
        live.on('subscribed', (topics) => {
          if (topics.includes('approvals')) snapshotDone = true;
          setReady(true);
        });
        routeWatchEvents(live, watchers.current);
        live.on('close', (_code, reason) => {
          if (stopped) return;
          liveRef.current = undefined;
          for (const listeners of watchers.current.values()) for (const listener of listeners) listener.ended('connection to the gateway lost; reconnecting');
          schedule(reason || 'connection closed');
        });
        setApprovals([]); // the snapshot that follows is the whole truth
        live.subscribe(['approvals', 'sessions']);
        for (const session of watchers.current.keys()) live.watch(session); // resume watches after a reconnect
        const wasReconnect = everConnected;
        everConnected = true;
        attempt = 0;
        setLink({ state: 'connected', since: Date.now(), reconnected: wasReconnect });
      } catch (error) {
        if (!stopped) schedule((error as Error).message);
      }
    };
    const schedule = (reason: string): void => {
      attempt += 1;
      setLink({ state: 'reconnecting', attempt, reason });
      retry = setTimeout(() => void connect(), BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]);
    };
    void connect();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      liveRef.current?.close();
    };
  }, [backend]);

  const actions = useMemo<ConsoleActions>(
    () => ({
      approve: async (id, reason) => void (await backend.approve(id, reason)),
      deny: async (id, reason) => void (await backend.deny(id, reason)),
      terminate: async (id, reason) => void (await backend.terminate(id, reason)),
      watch(sessionId, listener) {
        let set = watchers.current.get(sessionId);
        if (!set) watchers.current.set(sessionId, (set = new Set()));
        set.add(listener);
        const live = liveRef.current;
        if (live) live.watch(sessionId);
        else listener.refused('not connected to the gateway');
        return () => {
          set!.delete(listener);
          if (set!.size === 0) {
            watchers.current.delete(sessionId);
            liveRef.current?.unwatch(sessionId);
          }
        };
      },
      loadHistory() {
        setHistory((before) => ({ ...before, loading: true }));
        backend.history().then(
          (entries) => setHistory({ entries, loading: false }),
          (error: Error) => setHistory((before) => ({ ...before, loading: false, error: error.message })),
        );
      },
      quit: () => backend.quit(),
    }),
    [backend],
  );

  const state: ConsoleState = { gatewayUrl: backend.gatewayUrl, me, abilities, link, ready, approvals, sessions, history, theme };
  return { state, actions };
}

/** Sends each watch event to the listeners of its session. */
function routeWatchEvents(live: LiveConnection, watchers: Map<string, Set<WatchListener>>): void {
  const each = (session: string, call: (listener: WatchListener) => void): void => {
    for (const listener of watchers.get(session) ?? []) call(listener);
  };
  live.on('watching', (m) => each(m.session, (l) => l.started({ cols: m.cols, rows: m.rows, recent: Buffer.from(m.recent, 'base64'), user: m.user, actor: m.actor, connection: m.connection, markers: m.markers })));
  live.on('watch.output', (session, data) => each(session, (l) => l.output(data)));
  live.on('watch.resize', (m) => each(m.session, (l) => l.resize(m.cols, m.rows)));
  live.on('watch.marker', (m) => each(m.session, (l) => l.marker(m.label, m.at)));
  live.on('watch.skipped', (m) => each(m.session, (l) => l.skipped(m.bytes)));
  live.on('watch.end', (m) => each(m.session, (l) => l.ended(m.reason)));
  live.on('error', (error) => {
    // A refused watch comes back as a FORBIDDEN error that names the session.
    if (error.code !== 'FORBIDDEN') return;
    for (const [session, listeners] of watchers) if (error.message.includes(session)) for (const l of listeners) l.refused(error.message);
  });
}
