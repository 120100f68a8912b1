/**
 * `hoop-shell approvals [--json] [--all]`, `approve ID [--reason]`, `deny ID --reason`: the
 * approver's side in a plain terminal. A thin view over the gateway's approvals API; every
 * decision is checked by the gateway (self-approval, groups), never here.
 */
import type { Command } from 'commander';
import { UsageError } from '../cli/boundary.js';
import type { Gateway } from '../client/gateway.js';
import type { ApprovalView } from '../protocol/approval.js';

function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

function left(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (seconds <= 0) return 'due';
  if (seconds < 60) return `${seconds}s left`;
  return `${Math.floor(seconds / 60)}m left`;
}

export function formatApproval(approval: ApprovalView): string {
  const who = approval.actor ? `${approval.requester} via agent ${approval.actor}` : approval.requester;
  const lines = [
    `${approval.id}  ${approval.status.toUpperCase()}  ${who}@${approval.connection}  ${age(approval.createdAt)} ago${approval.status === 'pending' ? `, ${left(approval.expiresAt)}` : ''}`,
    `  command: ${approval.command}`,
  ];
  if (approval.apiRequest) lines.push(`  api:     ${approval.apiRequest}`);
  lines.push(`  rule:    ${approval.rule} — ${approval.why.join('; ')}`);
  lines.push(`  needs:   ${approval.count} of ${approval.groups.join('/') || '(no group)'}; approved by ${approval.approvals.map((entry) => entry.by).join(', ') || 'nobody yet'}`);
  if (approval.deniedBy || approval.reason) lines.push(`  outcome: ${approval.deniedBy ? `denied by ${approval.deniedBy}: ` : ''}${approval.reason ?? ''}`);
  if (approval.status === 'pending') lines.push(approval.canDecide ? `  → hoop-shell approve ${approval.id}   |   hoop-shell deny ${approval.id} --reason "…"` : `  (${approval.cannotDecideBecause ?? 'you cannot decide this one'})`);
  return lines.join('\n');
}

export function registerApprovalCommands(program: Command, gateway: () => Gateway): void {
  program
    .command('approvals')
    .description('list approvals you may see: pending ones (--all adds decided ones)')
    .option('--json', 'print a JSON array')
    .option('--all', 'include approved, denied and expired ones')
    .action(async (options: { json?: boolean; all?: boolean }) => {
      const list = await gateway().request<ApprovalView[]>('GET', `/v1/approvals${options.all ? '?all=true' : ''}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write(options.all ? 'no approvals\n' : 'no pending approvals\n');
        return;
      }
      process.stdout.write(`${list.map((approval) => formatApproval(approval)).join('\n\n')}\n`);
    });

  program
    .command('approve')
    .description('approve a held command (you cannot approve your own, nor what your agent asked for)')
    .argument('<id>', 'approval id')
    .option('--reason <text>', 'why (kept in the audit)')
    .action(async (id: string, options: { reason?: string }) => {
      const approval = await gateway().request<ApprovalView>('POST', `/v1/approvals/${encodeURIComponent(id)}/approve`, options.reason ? { reason: options.reason } : {});
      const remaining = approval.count - approval.approvals.length;
      process.stdout.write(
        approval.status === 'approved'
          ? `approved ${approval.id}: ${approval.command} may run now\n`
          : `recorded your approval of ${approval.id}; ${remaining} more needed\n`,
      );
    });

  program
    .command('deny')
    .description('deny a held command (a reason is required; the requester sees it)')
    .argument('<id>', 'approval id')
    .option('--reason <text>', 'why (required)')
    .action(async (id: string, options: { reason?: string }) => {
      if (!options.reason?.trim()) throw new UsageError('deny needs --reason TEXT (the requester sees it)');
      const approval = await gateway().request<ApprovalView>('POST', `/v1/approvals/${encodeURIComponent(id)}/deny`, { reason: options.reason });
      process.stdout.write(`denied ${approval.id}: ${approval.command}\n`);
    });
}
