/**
 * Reads the YAML config (or builds the embedded defaults) and resolves paths against the config
 * file's directory. Every problem is a ConfigError that names the key and why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { ZodIssue } from 'zod';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig extends Config {
  /** Where the config came from, for messages: a file path or "embedded defaults". */
  source: string;
}

export interface LoadOptions {
  file?: string;
  /** Overrides `listen` (the --listen flag). */
  listen?: string;
  /** Overrides `dataDir` (the --data flag). */
  dataDir?: string;
  /** Environment used to find a kubeconfig for the embedded defaults. */
  env?: NodeJS.ProcessEnv;
}

export function formatIssuePath(issuePath: (string | number)[]): string {
  return issuePath.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    '',
  );
}

function describeIssue(issue: ZodIssue): string {
  const key = formatIssuePath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') return `${key ? `${key}: ` : ''}unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`.replace(/^\(top level\): /, '');
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return `${key}: is required`;
  return `${key}: ${issue.message}`;
}

export function parseConfig(raw: unknown, source: string): LoadedConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue);
    throw new ConfigError(`invalid config ${source}: ${problems.join('; ')}`);
  }
  return { ...result.data, source };
}

/** Embedded defaults: a `shell` connection, and `k8s` when a kubeconfig is found. */
export function embeddedDefaults(env: NodeJS.ProcessEnv = process.env): unknown {
  const shell = existsSync('/bin/bash') ? ['/bin/bash', '--noprofile', '--norc'] : ['/bin/sh'];
  const connections: unknown[] = [{ name: 'shell', type: 'command', command: shell }];
  const kubeconfig = findKubeconfig(env);
  if (kubeconfig) connections.push({ name: 'k8s', type: 'kubernetes', kubeconfig });
  return { connections };
}

function findKubeconfig(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [...(env.KUBECONFIG ?? '').split(path.delimiter), path.join(env.HOME ?? homedir(), '.kube', 'config')];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  let raw: unknown;
  let source = 'embedded defaults';
  let baseDir = process.cwd();
  if (options.file) {
    source = options.file;
    baseDir = path.dirname(path.resolve(options.file));
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config ${options.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { prettyErrors: false, lineCounter });
    if (document.errors.length > 0) {
      const first = document.errors[0]!;
      const line = ` (line ${lineCounter.linePos(first.pos[0]).line})`;
      throw new ConfigError(`invalid config ${options.file}: YAML syntax error${line}: ${first.message.split('\n')[0]}`);
    }
    raw = document.toJS();
    if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
      throw new ConfigError(`invalid config ${options.file}: the top level must be a mapping of keys`);
    }
  } else {
    raw = embeddedDefaults(options.env);
  }
  const withOverrides = { ...(raw as object) } as Record<string, unknown>;
  if (options.listen) withOverrides.listen = options.listen;
  if (options.dataDir) withOverrides.dataDir = options.dataDir;
  const config = parseConfig(withOverrides, source);
  return resolvePaths(config, baseDir, options.dataDir !== undefined);
}

function resolvePaths(config: LoadedConfig, baseDir: string, dataDirFromFlag: boolean): LoadedConfig {
  // --data is relative to where the operator stands; keys in the file to the file itself.
  const dataDir = dataDirFromFlag ? path.resolve(config.dataDir) : path.resolve(baseDir, config.dataDir);
  const connections = config.connections.map((connection) =>
    connection.type === 'kubernetes' ? { ...connection, kubeconfig: path.resolve(baseDir, connection.kubeconfig) } : connection,
  );
  return { ...config, dataDir, connections };
}
