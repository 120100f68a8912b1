/**
 * `hoop-shell token --agent NAME [--ttl DUR] [--connections a,b]`: exchanges the engineer's token
 * for a short-lived agent token and prints it alone on stdout (so `$(…)` captures exactly it);
 * `token --list` and `token --revoke ID` manage them. Details go to stderr, never the token.
 */
import type { Command } from 'commander';
import { UsageError } from '../cli/boundary.js';
import { gatewayFrom, type GlobalOptions } from './credentials.js';

interface AgentTokenRow {
  id: string;
  user: string;
  agent: string;
  connections: string[] | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

interface MintAnswer {
  token: string;
  id: string;
  agent: string;
  connections: string[] | null;
  expiresAt: string;
}

interface TokenOptions {
  agent?: string;
  ttl?: string;
  connections?: string;
  list?: boolean;
  revoke?: string;
  all?: boolean;
  json?: boolean;
}

export function parseConnectionsFlag(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError('--connections needs at least one connection name, e.g. --connections k8s-dev,ops');
  return names;
}

export function formatTokenRows(rows: AgentTokenRow[], now = Date.now()): string {
  if (rows.length === 0) return 'no agent tokens\n';
  return rows
    .map((row) => {
      const state = row.revoked_at ? `revoked by ${row.revoked_by}` : Date.parse(row.expires_at) <= now ? 'expired' : `until ${row.expires_at}`;
      return `${row.id}  ${row.user} via agent ${row.agent}  ${row.connections?.join(',') ?? 'any connection'}  ${state}\n`;
    })
    .join('');
}

export function registerTokenCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('token')
    .description('agent tokens: --agent NAME mints one (printed alone on stdout), --list shows yours, --revoke ID ends one')
    .option('--agent <name>', 'the agent that will act for you (act.sub)')
    .option('--ttl <duration>', 'lifetime (default 1h, never beyond your own token)')
    .option('--connections <a,b>', 'limit the token to these connections')
    .option('--list', 'list your agent tokens')
    .option('--all', 'with --list: include expired ones (admins: everyone\'s)')
    .option('--revoke <id>', 'revoke an agent token; its open sessions end')
    .option('--json', 'print JSON (with --list / --revoke)')
    .action(async (options: TokenOptions) => {
      const modes = [options.agent !== undefined, Boolean(options.list), options.revoke !== undefined].filter(Boolean).length;
      if (modes !== 1) throw new UsageError('token needs exactly one of --agent NAME, --list or --revoke ID');
      const gateway = gatewayFrom(globals());
      if (options.agent !== undefined) {
        const minted = await gateway.request<MintAnswer>('POST', '/v1/tokens/agent', {
          agent: options.agent,
          ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
          ...(options.connections !== undefined ? { connections: parseConnectionsFlag(options.connections) } : {}),
        });
        process.stdout.write(`${minted.token}\n`);
        process.stderr.write(`agent token ${minted.id} for ${minted.agent}, ${minted.connections ? `limited to ${minted.connections.join(', ')}` : 'any connection'}, expires ${minted.expiresAt}\n`);
        return;
      }
      if (options.list) {
        const query = options.all ? '?all=true&expired=true' : '';
        let rows: AgentTokenRow[];
        try {
          rows = await gateway.request<AgentTokenRow[]>('GET', `/v1/tokens/agent${query}`);
        } catch (error) {
          // Non-admins asking for --all get their own, expired included.
          if (!options.all || (error as { code?: string }).code !== 'FORBIDDEN') throw error;
          rows = await gateway.request<AgentTokenRow[]>('GET', '/v1/tokens/agent?expired=true');
        }
        process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTokenRows(rows));
        return;
      }
      const row = await gateway.request<AgentTokenRow & { sessionsEnded: number }>('DELETE', `/v1/tokens/agent/${encodeURIComponent(options.revoke!)}`);
      process.stdout.write(options.json ? `${JSON.stringify(row)}\n` : `revoked ${row.id} (${row.user} via agent ${row.agent}); ${row.sessionsEnded} open session(s) ended\n`);
    });
}
