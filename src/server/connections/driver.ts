/**
 * What a connection type must provide to a session: how the session behaves (shell, broker),
 * what to start for an interactive terminal, and what to start for one command.
 */
import type { ConnectionConfig } from '../../config/schema.js';
import type { SessionMode } from '../../protocol/messages.js';
import type { Identity } from '../auth/identity.js';
import type { LaunchSpec } from '../session/program.js';

export interface SessionContext {
  id: string;
  identity: Identity;
  connection: ConnectionConfig;
  /** The session's private HOME (a temp dir removed at session end). */
  home: string;
  /** Base environment (PATH, TERM, LANG, HOME, connection env). */
  env: Record<string, string>;
}

/** A command as a run asks for it: argv (no shell) or a command line for the connection's program. */
export type RunCommand = string | string[];

export interface ConnectionDriver {
  readonly type: ConnectionConfig['type'];
  /** The session mode for an interactive (`interactive: true`) or runs-only session. */
  mode(interactive: boolean): SessionMode;
  /** Called once before anything runs (e.g. issue a proxy token and write a kubeconfig). */
  prepare(context: SessionContext): Promise<void>;
  /** The program for an interactive `shell` session. */
  shellSpec(context: SessionContext): LaunchSpec;
  /** The program for one run; throws a GatewayError when the command is refused outright. */
  runSpec(context: SessionContext, command: RunCommand): LaunchSpec;
  /** The command as people read it (audit, approvals). */
  describe(command: RunCommand): string;
  /** Called once when the session ends. */
  cleanup(context: SessionContext): void;
}
