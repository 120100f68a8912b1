/** Where hoop-shell finds the gateway and the caller's token: flags, then environment, then the login cache. */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ClientError } from '../client/errors.js';
import { DEFAULT_GATEWAY_URL, Gateway } from '../client/gateway.js';

export interface GlobalOptions {
  gateway?: string;
  token?: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? homedir(), '.config'), 'hoop');
}

/** The token cached by `hoop-shell login` (issue 8 fills the cache). */
export function cachedToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = path.join(configDir(env), 'token.json');
  if (!existsSync(file)) return undefined;
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { access_token?: string; id_token?: string };
    return cached.access_token ?? cached.id_token;
  } catch {
    return undefined;
  }
}

export function gatewayUrl(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return options.gateway ?? env.HOOP_GATEWAY ?? DEFAULT_GATEWAY_URL;
}

export function resolveToken(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  const token = options.token ?? env.HOOP_TOKEN ?? cachedToken(env);
  if (!token || !token.trim()) {
    throw new ClientError('UNAUTHENTICATED', 'no token: set HOOP_TOKEN, pass --token, or run hoop-shell login');
  }
  return token.trim();
}

export function gatewayFrom(options: GlobalOptions): Gateway {
  return new Gateway({ url: gatewayUrl(options), token: resolveToken(options) });
}
