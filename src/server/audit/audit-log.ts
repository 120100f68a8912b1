/**
 * Turns the gateway's one-way event feed into audit rows: session start and end, every command
 * phase, approvals, Kubernetes API requests, terminations, and — once a recording is closed — its
 * SHA-256. It only listens; it never changes a session, and a failure to write is logged, not thrown.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { describeError } from '../../errors.js';
import type { Logger } from '../log.js';
import type { CommandEvent, Session } from '../session/session.js';
import type { Store } from '../store/store.js';
import { takeRecordingDigest } from '../../recorder/recording-digests.js';
import { sha256File, type AuditChain, type AuditEntry } from './audit-chain.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter listeners take any arguments
type Listener = (...args: any[]) => void;

function sessionFields(session: Session): Pick<AuditEntry, 'sessionId' | 'user' | 'actor' | 'connection'> {
  return { sessionId: session.id, user: session.identity.user, actor: session.identity.actor ?? null, connection: session.connection.name };
}

export class AuditLog {
  readonly #chain: AuditChain;
  readonly #logger: Logger;
  readonly #listeners: [string, Listener][] = [];

  constructor(chain: AuditChain, logger: Logger) {
    this.#chain = chain;
    this.#logger = logger;
  }

  /** Writes one row; audit problems are logged loudly but never break a session. */
  write(entry: AuditEntry): void {
    try {
      this.#chain.append(entry);
    } catch (error) {
      this.#logger.log('error', 'audit.write-failed', { kind: entry.kind, session: entry.sessionId ?? undefined, error: describeError(error) });
    }
  }

  /**
   * Seals a closed recording into the chain: with the digest its writer computed while writing
   * (no second read of a 100 MB file on the event loop), else (after a crash) by hashing the file.
   */
  recordingFinished(file: string, fields: Pick<AuditEntry, 'sessionId' | 'user' | 'actor' | 'connection'>): void {
    const written = takeRecordingDigest(file);
    if (!existsSync(file)) return;
    try {
      const { sha256, bytes } = written ?? sha256File(file);
      this.write({ kind: 'recording', ...fields, data: { file: path.basename(file), sha256, bytes } });
    } catch (error) {
      this.#logger.log('error', 'audit.recording-hash-failed', { file, error: describeError(error) });
    }
  }

  subscribe(events: EventEmitter): void {
    const on = <A extends unknown[]>(name: string, listener: (...args: A) => void): void => {
      const safe = (...args: A): void => {
        try {
          listener(...args);
        } catch (error) {
          this.#logger.log('error', 'audit.listener-failed', { event: name, error: describeError(error) });
        }
      };
      events.on(name, safe as unknown as Listener);
      this.#listeners.push([name, safe as unknown as Listener]);
    };
    on('session.start', (session: Session) =>
      this.write({ kind: 'session.start', ...sessionFields(session), data: { mode: session.mode, groups: session.identity.groups, ...session.size, recording: session.recordingPath ? path.basename(session.recordingPath) : null } }),
    );
    on('command', (session: Session, event: CommandEvent) => this.write({ kind: 'command', ...sessionFields(session), data: { ...event } }));
    on('session.end', (session: Session, outcome: { exitCode?: number | null; reason?: string; state?: string }) => {
      this.write({ kind: 'session.end', ...sessionFields(session), data: { exitCode: outcome?.exitCode ?? null, reason: outcome?.reason ?? null, state: outcome?.state ?? 'ended' } });
      // 'end' is emitted after the recorder closed: the file is final.
      if (session.recordingPath) this.recordingFinished(session.recordingPath, sessionFields(session));
    });
    on('session.terminated', (session: Session, detail: { by?: string; reason?: string }) =>
      this.write({ kind: 'session.terminated', ...sessionFields(session), data: { ...detail } }),
    );
    on('approval', (approval: Record<string, unknown>) => {
      const text = (key: string): string | null => (typeof approval?.[key] === 'string' ? (approval[key] as string) : null);
      this.write({ kind: 'approval', sessionId: text('sessionId') ?? text('session'), user: text('requester'), actor: text('actor'), connection: text('connection'), data: { ...approval } });
    });
    on('api.request', (request: Record<string, unknown> & { identity?: { user?: string; actor?: string } }) => {
      // Never the request body (a Secret's data would land in the audit) nor the whole identity.
      const { body: _body, identity, ...facts } = request ?? {};
      this.write({
        kind: 'api.request',
        sessionId: typeof facts.sessionId === 'string' ? facts.sessionId : null,
        user: identity?.user ?? null,
        actor: identity?.actor ?? null,
        connection: typeof facts.connection === 'string' ? facts.connection : null,
        data: facts,
      });
    });
  }

  unsubscribe(events: EventEmitter): void {
    for (const [name, listener] of this.#listeners.splice(0)) events.off(name, listener);
  }

  /**
   * After a crash: sessions marked `interrupted` at start-up never got their recording hashed.
   * Their files are final now (nobody writes them any more), so they join the chain here.
   */
  sealInterrupted(store: Store): number {
    const rows = store.db
      .prepare(
        `SELECT id, user, actor, connection, recording, ended_at, end_reason FROM sessions
         WHERE state = 'interrupted' AND recording IS NOT NULL
           AND id NOT IN (SELECT session_id FROM audit WHERE kind = 'recording' AND session_id IS NOT NULL)`,
      )
      .all() as { id: string; user: string; actor: string | null; connection: string; recording: string; ended_at: string | null; end_reason: string | null }[];
    for (const row of rows) {
      const fields = { sessionId: row.id, user: row.user, actor: row.actor, connection: row.connection };
      this.write({ kind: 'session.end', ...fields, data: { exitCode: null, reason: row.end_reason, state: 'interrupted', endedAt: row.ended_at } });
      this.recordingFinished(row.recording, fields);
    }
    return rows.length;
  }
}
