/**
 * Static checks of a policy (`hoop-gateway policy check`): rules that can never match, that match
 * everything, review rules nobody can approve, unknown verbs and resources, bad command patterns.
 * Reads only the config (and, when given, the groups the gateway has seen); never changes anything.
 */
import type { LoadedConfig } from '../../config/load.js';
import { commandPatternProblems } from './command-pattern.js';
import { isKnownResource } from './resources.js';

export interface PolicyFinding {
  level: 'error' | 'warning';
  where: string;
  message: string;
}

const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*']);

export function checkPolicy(config: LoadedConfig, seenGroups?: Set<string>): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const connectionNames = new Set(config.connections.map((connection) => connection.name));
  const names = new Map<string, number>();
  config.policy.rules.forEach((rule, index) => {
    const where = `policy.rules[${index}] "${rule.name}"`;
    const add = (level: PolicyFinding['level'], message: string): void => void findings.push({ level, where, message });
    const match = rule.match;
    if (names.has(rule.name)) add('warning', `has the same name as policy.rules[${names.get(rule.name)}]; approvers and audit will not tell them apart`);
    names.set(rule.name, index);
    const fields = Object.keys(match).filter((key) => (match as Record<string, unknown>)[key] !== undefined);
    if (fields.length === 0) add(rule.action === 'allow' ? 'warning' : 'warning', `match is empty: it matches every command and API request (${rule.action})`);
    const kubeFields = ['verbs', 'resources', 'namespaces', 'names', 'privileged'].filter((key) => fields.includes(key));
    if (match.commands && kubeFields.length > 0) {
      add('error', `can never match: "commands" applies to shell commands, ${kubeFields.join(', ')} to Kubernetes operations; split it into two rules`);
    }
    const connections = match.connection === undefined ? [] : Array.isArray(match.connection) ? match.connection : [match.connection];
    const unknown = connections.filter((name) => !connectionNames.has(name));
    if (unknown.length > 0) {
      add(unknown.length === connections.length ? 'error' : 'warning', `names unknown connection ${unknown.map((name) => `"${name}"`).join(', ')}${unknown.length === connections.length ? ': it can never match' : ''}`);
    }
    for (const verb of match.verbs ?? []) if (!VERBS.has(verb.toLowerCase())) add('error', `unknown verb "${verb}" (Kubernetes verbs: ${[...VERBS].filter((v) => v !== '*').join(', ')}); it never matches`);
    for (const resource of match.resources ?? []) {
      const [plural = ''] = resource.split('/');
      if (resource !== '*' && !isKnownResource(plural)) add('warning', `resource "${resource}" is not a built-in name; it is matched literally (write a CRD as plural.group)`);
    }
    for (const pattern of match.commands ?? []) for (const problem of commandPatternProblems(pattern)) add('error', `command pattern "${pattern}" ${problem}`);
    if (match.commands && connections.length > 0 && connections.every((name) => config.connections.find((connection) => connection.name === name)?.type === 'kubernetes')) {
      const nonKubectl = match.commands.filter((pattern) => !/^kubectl(\s|$)/.test(pattern.trim()));
      if (nonKubectl.length > 0) add('warning', `commands ${nonKubectl.map((p) => `"${p}"`).join(', ')} on a kubernetes connection only ever see "kubectl …"`);
    }
    if (rule.action === 'review') {
      if (!rule.approvers) add('error', 'is a review rule without approvers: nobody can ever approve it, so every match expires (add approvers: {groups: [...]})');
      else if (seenGroups && !rule.approvers.groups.some((group) => seenGroups.has(group))) {
        add('warning', `no user of approver group ${rule.approvers.groups.join(', ')} has ever used this gateway: is anyone there to approve?`);
      }
    } else {
      if (rule.approvers) add('warning', `approvers are ignored on an ${rule.action} rule`.replace("an deny", "a deny"));
      if (rule.timeout) add('warning', `timeout is ignored on an ${rule.action} rule`.replace("an deny", "a deny"));
    }
  });
  if (config.policy.unparsable === 'review' && !(config.roles.approver ?? []).length) {
    findings.push({ level: 'warning', where: 'policy.unparsable', message: 'is review, but roles.approver names no group: shell lines the gate cannot understand will expire unapproved' });
  }
  return findings;
}
