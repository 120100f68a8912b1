/**
 * The environment a session's program starts with: only PATH, TERM, LANG, a private HOME and what
 * the connection config names. Never the gateway's own environment (it may hold credentials).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SessionHome {
  dir: string;
  remove(): void;
}

/** A fresh HOME in a private (0700) temp dir, removed when the session ends. */
export function createSessionHome(sessionId: string): SessionHome {
  const dir = mkdtempSync(path.join(tmpdir(), `hoop-${sessionId.slice(0, 8)}-`));
  return {
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}

export function sessionEnvironment(options: {
  home: string;
  term?: string;
  sessionId: string;
  user: string;
  connection: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    PATH: SAFE_PATH,
    TERM: options.term ?? 'xterm-256color',
    LANG: 'C.UTF-8',
    HOME: options.home,
    HOOP_SESSION: options.sessionId,
    HOOP_USER: options.user,
    HOOP_CONNECTION: options.connection,
    ...options.extra,
  };
}
