/**
 * The login cache `~/.config/hoop/token.json` (or `$XDG_CONFIG_HOME/hoop`): the tokens
 * `hoop-shell login` obtained, with what is needed to refresh them. The file is mode 0600 in a
 * 0700 directory and replaced atomically; it is never printed, and its tokens never reach a log.
 * `credentials.ts` reads `access_token` from the same file.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { configDir } from './credentials.js';

export interface CachedTokens {
  issuer: string;
  client_id: string;
  access_token: string;
  token_type?: string;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  /** Seconds since the epoch when `access_token` expires. */
  expires_at?: number;
}

export function tokenCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'token.json');
}

export function readTokenCache(env: NodeJS.ProcessEnv = process.env): CachedTokens | undefined {
  const file = tokenCacheFile(env);
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<CachedTokens>;
    return typeof value.access_token === 'string' ? (value as CachedTokens) : undefined;
  } catch {
    return undefined;
  }
}

export function writeTokenCache(tokens: CachedTokens, env: NodeJS.ProcessEnv = process.env): string {
  const file = tokenCacheFile(env);
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  // Created 0600 from the first byte: there is no moment where another user could read it.
  writeFileSync(temp, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  return file;
}

/** Removes the cache; returns whether there was one. */
export function removeTokenCache(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = tokenCacheFile(env);
  if (!existsSync(file)) return false;
  rmSync(file, { force: true });
  return true;
}

/** When the access token expires (seconds since the epoch): its own `exp`, else what the IdP said. */
export function accessTokenExpiry(tokens: CachedTokens): number | undefined {
  try {
    const exp = decodeJwt(tokens.access_token).exp;
    if (typeof exp === 'number') return exp;
  } catch {
    /* an opaque access token: fall back to expires_in as recorded at login */
  }
  return tokens.expires_at;
}
