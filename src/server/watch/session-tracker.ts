/**
 * Follows every live session for the live views: its recent masked output, how many commands it
 * has run, whether one is held for approval, and its markers. Fed only by the gateway's events and
 * the session's own 'output'/'marker' events, so it sees exactly what clients see.
 * It never touches a session's flow: it listens, it never pauses or writes.
 */
import { EventEmitter } from 'node:events';
import type { Gateway } from '../gateway.js';
import type { CommandEvent, Session } from '../session/session.js';
import type { LiveSessionInfo } from '../../protocol/messages.js';
import { WatchLimits } from './limits.js';
import { RecentOutput } from './recent-output.js';

/** A live session as the `sessions` topic shows it (the wire type). */
export type LiveSessionSummary = LiveSessionInfo;

interface Tracked {
  session: Session;
  recent: RecentOutput;
  commands: number;
  /** Pending approval ids of this session. */
  held: Set<string>;
  /** The latest markers, so a new watcher sees what happened just before. */
  markers: { label: string; at: string }[];
}

/** The fields of an approval (approvals module) that the tracker needs. */
interface ApprovalLike {
  id?: string;
  status?: string;
  sessionId?: string;
}

export interface TrackerEvents {
  /** The list of live sessions or one of their counters changed. */
  change: [];
  marker: [session: Session, label: string];
}

export class SessionTracker extends EventEmitter<TrackerEvents> {
  readonly #tracked = new Map<string, Tracked>();

  constructor(gateway: Gateway) {
    super();
    this.setMaxListeners(0);
    gateway.events.on('session.start', (session: Session) => this.#track(session));
    gateway.events.on('session.end', (session: Session) => {
      if (this.#tracked.delete(session.id)) this.emit('change');
    });
    gateway.events.on('command', (session: Session, event: CommandEvent) => this.#onCommand(session, event));
    gateway.events.on('approval', (approval: ApprovalLike) => this.#onApproval(approval));
  }

  #track(session: Session): void {
    if (session.ended || this.#tracked.has(session.id)) return;
    const tracked: Tracked = { session, recent: new RecentOutput(WatchLimits.recentOutputBytes), commands: 0, held: new Set(), markers: [] };
    this.#tracked.set(session.id, tracked);
    session.setMaxListeners(0); // one listener set per watcher
    session.on('output', (_stream: number, chunk: Buffer) => tracked.recent.push(chunk));
    session.on('marker', (label: string) => this.#marker(session, label));
    this.emit('change');
  }

  #onCommand(session: Session, event: CommandEvent): void {
    const tracked = this.#tracked.get(session.id);
    if (!tracked) return;
    if (event.phase === 'received') {
      tracked.commands += 1;
      this.#marker(session, `$ ${event.text}`);
      this.emit('change');
    } else if (event.phase === 'decided' && event.decision === 'deny') {
      this.#marker(session, `denied: ${event.text}${event.reason ? ` (${event.reason})` : ''}`);
    }
  }

  #marker(session: Session, label: string): void {
    const tracked = this.#tracked.get(session.id);
    if (tracked) {
      tracked.markers.push({ label, at: new Date().toISOString() });
      if (tracked.markers.length > WatchLimits.recentMarkers) tracked.markers.shift();
    }
    this.emit('marker', session, label);
  }

  #onApproval(approval: ApprovalLike): void {
    if (!approval?.id || !approval.sessionId) return;
    const tracked = this.#tracked.get(approval.sessionId);
    if (!tracked) return;
    const before = tracked.held.size;
    if (approval.status === 'pending') tracked.held.add(approval.id);
    else tracked.held.delete(approval.id);
    if (tracked.held.size !== before) this.emit('change');
  }

  get(id: string): { session: Session; recent: RecentOutput; markers: { label: string; at: string }[] } | undefined {
    return this.#tracked.get(id);
  }

  summaries(): LiveSessionSummary[] {
    return [...this.#tracked.values()]
      .filter((tracked) => !tracked.session.ended)
      .map(({ session, commands, held }) => ({
        id: session.id,
        user: session.identity.user,
        actor: session.identity.actor ?? null,
        connection: session.connection.name,
        mode: session.mode,
        startedAt: session.startedAt.toISOString(),
        commands,
        held: held.size > 0,
        ...session.size,
      }));
  }
}
