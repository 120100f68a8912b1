/**
 * The broker-mode command check: turns a run's command (argv, or a line split without a shell)
 * into kubectl's argv and refuses, with a one-line reason, anything that would change identity or
 * credentials, reveal them, reach files or programs on the gateway host, open an editor, a local
 * proxy or a plugin. The API layer (proxy + policy) still sees every request that gets through.
 *
 * It must never run anything and never guess in the permissive direction: when it cannot tell
 * what an argument is, it treats it as something to check.
 */
import { parse as parseShell } from 'shell-quote';
import { GatewayError } from '../../errors.js';
import type { RunCommand } from '../connections/driver.js';

/** Flags that choose who kubectl is or which server/credential it uses. */
const IDENTITY_FLAGS = new Set([
  'kubeconfig', 'token', 'as', 'as-group', 'as-uid', 'server', 'user', 'cluster', 'context',
  'client-key', 'client-certificate', 'certificate-authority', 'insecure-skip-tls-verify',
  'username', 'password', 'tls-server-name', 'kuberc', 'cache-dir',
]);

/** Flags whose value is a path on the gateway host (read or written there, not on the client). */
const HOST_PATH_FLAGS = new Set([
  'filename', 'kustomize', 'from-file', 'from-env-file', 'env-file', 'output-directory',
  'profile-output', 'log-file', 'log-dir', 'custom', 'patch-file', 'prune-allowlist-file',
]);

/** Short flags that take a value (so the rest of a `-nfoo` cluster is that value). */
const SHORT_WITH_VALUE = new Set(['n', 'o', 'l', 'f', 'k', 'c', 'L', 's', 'v', 'p', 'e']);
/** Long flags that take a value when written `--flag value` before the subcommand. */
const GLOBAL_LONG_WITH_VALUE = new Set(['namespace', 'request-timeout', 'v', 'vmodule', 'log-flush-frequency', 'profile', 'output', 'selector']);

/** kubectl 1.32's builtin commands that broker mode offers. */
const ALLOWED_COMMANDS = new Set([
  'get', 'describe', 'create', 'apply', 'delete', 'patch', 'replace', 'scale', 'autoscale', 'rollout',
  'expose', 'run', 'set', 'label', 'annotate', 'logs', 'exec', 'attach', 'port-forward', 'top',
  'cordon', 'uncordon', 'drain', 'taint', 'explain', 'diff', 'wait', 'events', 'debug', 'auth',
  'certificate', 'cluster-info', 'api-resources', 'api-versions', 'version', 'completion', 'config',
  'help', 'options',
]);

const REFUSED_COMMANDS: Record<string, string> = {
  edit: 'edit would open an editor on the gateway host; use "get KIND NAME -o yaml", change it on your side, then "apply -f -" with the file on stdin (or "patch")',
  proxy: 'proxy would open an unauthenticated API port on the gateway host',
  cp: 'cp reads and writes files on the gateway host, not yours; use "exec POD -- cat FILE" or stdin with "exec -i"',
  plugin: 'kubectl plugins are not reachable through the gateway',
  kustomize: 'kustomize reads directories on the gateway host; render on your side and "apply -f -"',
  alpha: 'alpha commands are not offered through the gateway',
};

/** `config` subcommands that only show names (the session kubeconfig holds no real credential). */
const CONFIG_READ_ONLY = new Set(['view', 'current-context', 'get-contexts', 'get-clusters', 'get-users']);

/** `create` subcommands other than `token` (whose later words may be named "token"). */
const CREATE_KINDS = new Set([
  'secret', 'configmap', 'cm', 'deployment', 'deploy', 'service', 'svc', 'job', 'cronjob', 'cj', 'namespace', 'ns', 'role',
  'rolebinding', 'clusterrole', 'clusterrolebinding', 'serviceaccount', 'sa', 'quota', 'resourcequota', 'priorityclass', 'pc',
  'poddisruptionbudget', 'pdb', 'ingress', 'ing',
]);

export interface KubectlCommand {
  argv: string[];
  /** The builtin command (`get`, `exec`, …); undefined for a bare `kubectl` or flags only. */
  subcommand?: string;
}

function refuse(reason: string): never {
  throw new GatewayError('POLICY_DENIED', reason);
}

/** A line split like a shell would split words, but with no shell: operators are refused. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  for (const token of parseShell(line, (name) => `$${name}`)) {
    if (typeof token === 'string') words.push(token);
    else if ('op' in token && token.op === 'glob') words.push((token as { pattern: string }).pattern);
    else if ('op' in token) refuse(`"${token.op}" needs a shell, and broker mode has none: give one kubectl command (stdin works: hoop-shell exec CONN -- apply -f - < file)`);
    else if ('comment' in token) break;
  }
  return words;
}

export function kubectlArgv(command: RunCommand): string[] {
  const argv = typeof command === 'string' ? splitCommandLine(command) : [...command];
  if (argv[0] === 'kubectl' || argv[0] === '/usr/bin/kubectl') argv.shift();
  return argv;
}

/** Splits `--name=value` / `-x…`; returns the flag names an argument sets. */
function flagName(arg: string): { long?: string; value?: string } {
  const body = arg.slice(2);
  const eq = body.indexOf('=');
  return eq === -1 ? { long: body } : { long: body.slice(0, eq), value: body.slice(eq + 1) };
}

function checkOutput(value: string | undefined): void {
  if (value && /(^|-)file(=|$)|^templatefile/.test(value)) refuse(`-o ${value.split('=')[0]} reads a file on the gateway host; use -o jsonpath=… or -o go-template=… inline`);
}

function checkPathFlag(flag: string, value: string | undefined): void {
  if ((flag === 'filename' || flag === 'f') && value === '-') return;
  const shown = flag.length === 1 ? `-${flag}` : `--${flag}`;
  // The value is not echoed: a path on the gateway host is nothing to repeat back.
  if (flag === 'filename' || flag === 'f') refuse(`${shown} FILE would read a file on the gateway host; send the manifest on stdin: -f - < file`);
  refuse(`${shown} names a path on the gateway host, which broker mode does not offer`);
}

/**
 * Checks kubectl's argv; returns it with the subcommand, or throws a GatewayError whose message
 * is the one-line reason.
 */
export function checkKubectlCommand(command: RunCommand): KubectlCommand {
  const argv = kubectlArgv(command);
  const end = argv.indexOf('--');
  // After "--" the words are the container's command (exec, run, debug): kubectl does not read them.
  const ours = end === -1 ? argv : argv.slice(0, end);
  const positionals: string[] = [];
  let subcommand: string | undefined;
  const isLogs = (): boolean => subcommand === 'logs' || subcommand === 'log';

  for (let index = 0; index < ours.length; index++) {
    const arg = ours[index]!;
    const next = ours[index + 1];
    if (arg.startsWith('--') && arg.length > 2) {
      const { long, value } = flagName(arg);
      const name = long!;
      if (IDENTITY_FLAGS.has(name)) refuse(`--${name} is refused: the gateway chooses the cluster, identity and credential of this session`);
      if (name === 'raw' && subcommand === 'config') refuse('config view --raw would reveal the session credential');
      if (name === 'flatten' && subcommand === 'config') refuse('config view --flatten is refused in broker mode');
      if (HOST_PATH_FLAGS.has(name)) {
        const given = value ?? next;
        checkPathFlag(name, given);
        if (value === undefined) index++;
        continue;
      }
      if (name === 'output' || name === 'template') {
        checkOutput(value ?? next);
      }
      if (name === 'address' && subcommand === 'port-forward') {
        for (const address of (value ?? next ?? '').split(',')) {
          if (!['localhost', '127.0.0.1', '::1'].includes(address)) refuse('port-forward --address may only be localhost on the gateway host');
        }
      }
      if (value === undefined && subcommand === undefined && GLOBAL_LONG_WITH_VALUE.has(name)) index++;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short flags: -it, -nkube-system, -ojson, -s=URL.
      const letters = arg.slice(1);
      for (let at = 0; at < letters.length; at++) {
        const letter = letters[at]!;
        if (letter === 's') refuse('-s (--server) is refused: the gateway chooses the cluster of this session');
        const takesValue = SHORT_WITH_VALUE.has(letter) && !(isLogs() && (letter === 'f' || letter === 'p'));
        if (!takesValue) continue;
        let value = letters.slice(at + 1).replace(/^=/, '');
        const separate = value === '';
        if (separate) value = next ?? '';
        if (letter === 'f' || letter === 'k') checkPathFlag(letter, separate && next === undefined ? undefined : value);
        if (letter === 'o') checkOutput(value);
        if (separate) index++;
        break;
      }
      continue;
    }
    positionals.push(arg);
    if (subcommand === undefined) subcommand = arg;
  }

  if (subcommand === undefined) return { argv };
  const refusal = REFUSED_COMMANDS[subcommand];
  if (refusal) refuse(refusal);
  if (!ALLOWED_COMMANDS.has(subcommand)) {
    refuse(`"${subcommand}" is not a kubectl command offered here (kubectl plugins are not reachable through the gateway)`);
  }
  if (subcommand === 'config') {
    const sub = positionals[1];
    if (sub && !CONFIG_READ_ONLY.has(sub)) refuse(`config ${sub} is refused: the session kubeconfig is managed by the gateway (allowed: ${[...CONFIG_READ_ONLY].join(', ')})`);
  }
  if (subcommand === 'create' && positionals.slice(1).includes('token') && !CREATE_KINDS.has(positionals[1] ?? '')) {
    refuse('create token would hand out a cluster credential outside the gateway');
  }
  return { argv, subcommand };
}
