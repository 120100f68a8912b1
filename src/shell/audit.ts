/**
 * `hoop-shell audit [--json] [--user U] [--connection C] [--since DUR] [--decision D]` lists
 * commands with time, user (and agent), connection, decision, rule, approvers and exit code;
 * `hoop-shell audit verify` checks the hash chain and every recording (exit 1 naming the first
 * broken row or file, 0 when intact). Read-only: it never changes the audit.
 */
import type { Command } from 'commander';
import { UsageError } from '../cli/boundary.js';
import type { AuditCommand } from '../protocol/audit.js';
import { parseDuration } from '../util/duration.js';
import { gatewayFrom, type GlobalOptions } from './credentials.js';


export interface VerifyReport {
  intact: boolean;
  rows: number;
  recordings: number;
  head: string;
  row?: number;
  file?: string;
  reason?: string;
}

interface AuditOptions {
  json?: boolean;
  user?: string;
  connection?: string;
  since?: string;
  decision?: string;
}

export function auditQuery(options: AuditOptions): string {
  const query = new URLSearchParams();
  if (options.user) query.set('user', options.user);
  if (options.connection) query.set('connection', options.connection);
  if (options.since !== undefined) {
    if (parseDuration(options.since) === undefined && Number.isNaN(Date.parse(options.since))) throw new UsageError(`--since must be a duration such as 1h or 7d, got "${options.since}"`);
    query.set('since', options.since);
  }
  if (options.decision) {
    if (!['allow', 'deny', 'review'].includes(options.decision)) throw new UsageError(`--decision must be allow, deny or review, got "${options.decision}"`);
    query.set('decision', options.decision);
  }
  const text = query.toString();
  return `/v1/audit${text ? `?${text}` : ''}`;
}

export function formatAuditRows(rows: AuditCommand[]): string {
  if (rows.length === 0) return 'no commands\n';
  const table = rows.map((row) => {
    const decision = (row.decision === 'allow' || row.decision === 'review') && (row.approval || row.approvers.length) ? 'approved' : (row.decision ?? 'pending');
    return [
      row.time.replace(/\.\d+Z$/, 'Z'),
      row.actor ? `${row.user} via agent ${row.actor}` : (row.user ?? '?'),
      row.connection ?? '?',
      decision,
      row.rule ?? '-',
      row.approvers.length ? row.approvers.join(',') : '-',
      row.exitCode === null ? '-' : String(row.exitCode),
      row.command.replace(/[\r\n]+/g, ' '),
    ];
  });
  const header = ['TIME', 'USER', 'CONNECTION', 'DECISION', 'RULE', 'APPROVERS', 'EXIT', 'COMMAND'];
  const widths = header.map((title, column) => Math.min(40, Math.max(title.length, ...table.map((cells) => cells[column]!.length))));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return `${[line(header), ...table.map(line)].join('\n')}\n`;
}

export function formatVerify(report: VerifyReport): string {
  if (report.intact) return `audit intact: ${report.rows} rows, ${report.recordings} recordings verified (head ${report.head.slice(0, 16)}…)\n`;
  const where = report.file ? `recording ${report.file}` : `row ${report.row}`;
  return `audit BROKEN at ${where}: ${report.reason}\n`;
}

export function registerAuditCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('audit')
    .description('list audited commands (time, user, connection, decision, rule, approvers, exit code); "audit verify" checks integrity')
    .argument('[action]', '"verify": check the hash chain and every recording (exit 1 when broken)')
    .option('--json', 'print JSON')
    .option('--user <user>', 'only this user')
    .option('--connection <name>', 'only this connection')
    .option('--since <duration>', 'only the last DURATION (e.g. 1h, 7d)')
    .option('--decision <decision>', 'allow, deny or review')
    .action(async (action: string | undefined, options: AuditOptions) => {
      const gateway = gatewayFrom(globals());
      if (action === 'verify') {
        const report = await gateway.request<VerifyReport>('GET', '/v1/audit/verify');
        process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatVerify(report));
        process.exitCode = report.intact ? 0 : 1;
        return;
      }
      if (action !== undefined) throw new UsageError(`unknown audit action "${action}" (did you mean "audit verify"?)`);
      const rows = await gateway.request<AuditCommand[]>('GET', auditQuery(options));
      process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatAuditRows(rows));
    });
}
