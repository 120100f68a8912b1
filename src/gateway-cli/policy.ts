/**
 * `hoop-gateway policy check [--config F]` and `policy explain --user U --groups G --connection C
 * -- COMMAND…`: what an operator runs to trust a policy before it holds anyone's command. Reads the
 * config (and the store's seen groups, if the data dir exists); never starts a gateway.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../cli/boundary.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { checkPolicy } from '../server/policy/check.js';
import type { LineDecision } from '../server/policy/decide.js';
import { ANY_NAMESPACE, type KubeFacts } from '../server/policy/facts.js';
import { buildDecider } from '../server/policy/install.js';
import { STORE_FILE, Store } from '../server/store/store.js';
import { formatDuration } from '../util/duration.js';

function seenGroups(config: LoadedConfig): Set<string> | undefined {
  const file = path.join(config.dataDir, STORE_FILE);
  if (!existsSync(file)) return undefined;
  const store = new Store(file);
  try {
    const groups = new Set<string>();
    for (const row of store.db.prepare(`SELECT DISTINCT groups FROM sessions`).all() as { groups: string }[]) {
      for (const group of JSON.parse(row.groups) as string[]) groups.add(group);
    }
    return groups;
  } finally {
    store.close();
  }
}

function describeKube(facts: KubeFacts): string {
  const resource = facts.resource ? `${facts.resource}${facts.subresource ? `/${facts.subresource}` : ''}` : '(resources from a manifest: decided at the API layer)';
  const names = facts.names === undefined ? ' (names not known before it runs)' : facts.names.length ? ` ${facts.names.join(', ')}` : '';
  const namespace = facts.namespace === ANY_NAMESPACE ? ' in all namespaces' : facts.namespace ? ` in namespace ${facts.namespace}` : '';
  return `${facts.verb} ${resource}${names}${namespace}${facts.privileged ? ` [privileged: ${facts.privilegedWhy}]` : ''}`;
}

export function formatExplanation(decision: LineDecision, text: string): string {
  const lines: string[] = [];
  const rule = decision.rule;
  const verdict = decision.action.toUpperCase();
  if (rule) {
    const extra = decision.action === 'review' ? ` — needs ${rule.approvers?.count ?? 1} of ${rule.approvers?.groups.join('/') || '(no approver group!)'}, expires after ${formatDuration(rule.timeoutSeconds)}` : '';
    lines.push(`decision: ${verdict} by rule "${rule.name}"${extra}`);
  } else lines.push(`decision: ${verdict} (${decision.why.join('; ')})`);
  lines.push(`command:  ${text}`);
  for (const facts of decision.kube) lines.push(`understood as: ${describeKube(facts)}`);
  if (decision.problems.length > 0) lines.push(`not understood: ${decision.problems.join('; ')}`);
  if (!decision.complete) lines.push('incomplete: a shell would wait for more input (open quote, trailing \\ or operator, here-document)');
  const matches = decision.matches ?? [];
  if (matches.length === 0) lines.push('rules that matched: none');
  else {
    lines.push('rules that matched (strictest wins: deny > review > allow):');
    for (const match of matches) lines.push(`  ${match.rule.action.padEnd(6)} "${match.rule.name}" — ${match.why.join('; ')}`);
  }
  if (!rule && decision.problems.length === 0) lines.push(`no rule matched, so policy.default (${decision.action}) applies`);
  return lines.join('\n');
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('check a policy, or explain its decision on a command');

  policy
    .command('check')
    .description('validate the policy rules (exit 1 on errors)')
    .option('--config <file>', 'YAML config file')
    .option('--data <dir>', 'data dir (to see which groups have used the gateway)')
    .action((options: { config?: string; data?: string }) => {
      const config = loadConfig({ file: options.config, dataDir: options.data });
      const findings = checkPolicy(config, seenGroups(config));
      for (const finding of findings) process.stdout.write(`${finding.level}: ${finding.where} ${finding.message}\n`);
      const errors = findings.filter((finding) => finding.level === 'error').length;
      const warnings = findings.length - errors;
      process.stdout.write(`${config.policy.rules.length} rule(s), default ${config.policy.default}: ${errors} error(s), ${warnings} warning(s)\n`);
      if (errors > 0) process.exitCode = 1;
    });

  policy
    .command('explain')
    .description('print the decision on a command and every rule that matched, and why')
    .option('--config <file>', 'YAML config file')
    .option('--user <name>', 'the user asking', 'someone')
    .option('--groups <a,b>', "the user's groups", '')
    .option('--actor <agent>', 'the agent asking on the user\'s behalf')
    .option('--connection <name>', 'the connection (default: the first kubernetes connection for kubectl, else the first command one)')
    .option('--namespace <ns>', 'namespace when the command names none', 'default')
    .argument('<command...>', 'the command, after "--"')
    .action((command: string[], options: { config?: string; user: string; groups: string; actor?: string; connection?: string; namespace: string }) => {
      const config = loadConfig({ file: options.config });
      const isKubectl = command[0] === 'kubectl';
      const connection = options.connection
        ? config.connections.find((candidate) => candidate.name === options.connection)
        : (config.connections.find((candidate) => candidate.type === (isKubectl ? 'kubernetes' : 'command')) ?? config.connections[0]);
      if (!connection) {
        throw new UsageError(options.connection ? `unknown connection "${options.connection}" (known: ${config.connections.map((c) => c.name).join(', ') || 'none'})` : 'the config has no connections; pass --connection');
      }
      const decider = buildDecider(config.policy);
      const identity = { user: options.user, groups: options.groups.split(',').map((group) => group.trim()).filter(Boolean), issuer: 'explain', ...(options.actor ? { actor: options.actor } : {}) };
      const cluster = connection.type === 'command' ? connection.kubernetes : undefined;
      const asker = { identity, connection: connection.name, ...(cluster ? { cluster } : {}) };
      const text = command.join(' ');
      const decision = connection.type === 'kubernetes' ? decider.kubectl(asker, command, { explain: true, defaultNamespace: options.namespace }) : decider.shellLine(asker, text, { explain: true, defaultNamespace: options.namespace });
      process.stdout.write(`connection: ${connection.name} (${connection.type}); user: ${identity.user}${identity.actor ? ` via agent ${identity.actor}` : ''}; groups: ${identity.groups.join(', ') || '(none)'}\n`);
      process.stdout.write(`${formatExplanation(decision, connection.type === 'kubernetes' && !isKubectl ? `kubectl ${text}` : text)}\n`);
    });
}
