/**
 * `hoop-shell login | logout | whoami`, and the silent refresh of the login cache before other
 * commands. Login is the OAuth device authorization grant (openid-client): it prints the URL and
 * the code and polls at the pace the IdP asks for. It never opens a browser by itself, never
 * prints a token, and allows plain http only for an IdP on this machine (localhost/127.0.0.1).
 */
import type { Command } from 'commander';
import * as oidc from 'openid-client';
import { UsageError } from '../cli/boundary.js';
import { ClientError } from '../client/errors.js';
import { Gateway } from '../client/gateway.js';
import { gatewayFrom, gatewayUrl, type GlobalOptions } from './credentials.js';
import { accessTokenExpiry, readTokenCache, removeTokenCache, writeTokenCache, type CachedTokens } from './token-cache.js';

/** A cached access token this close to its expiry is refreshed before use. */
const REFRESH_MARGIN_SECONDS = 30;
const DEFAULT_SCOPES = ['openid', 'offline_access'];

interface IssuerChoice {
  issuer: string;
  clientId: string;
  scopes: string[];
}

interface AuthConfigResponse {
  issuers: { issuer: string; clientId?: string; scopes?: string[] }[];
}

/** http:// only for an IdP on this machine; anything else must be https. */
export function isLocalHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

function issuerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`issuer must be a URL, got "${text}"`);
  }
  if (url.protocol !== 'https:' && !isLocalHttp(url)) throw new UsageError(`issuer ${text} must use https (plain http only for localhost/127.0.0.1)`);
  return url;
}

/** Connects openid-client to the issuer (discovery), allowing http for a local IdP only. */
export async function discoverIssuer(issuer: string, clientId: string): Promise<oidc.Configuration> {
  const url = issuerUrl(issuer);
  try {
    return await oidc.discovery(url, clientId, undefined, oidc.None(), isLocalHttp(url) ? { execute: [oidc.allowInsecureRequests] } : undefined);
  } catch (error) {
    throw new ClientError('UNAVAILABLE', `cannot discover the issuer ${issuer}: ${oneLine(error)}`);
  }
}

function oneLine(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  const text = error instanceof Error ? error.message : String(error);
  return `${text.split('\n')[0]}${cause?.code ? ` (${cause.code})` : ''}`;
}

/** Flags, then environment, then the gateway's public `/v1/auth/config`. */
export async function chooseIssuer(flags: { issuer?: string; clientId?: string }, gateway: string, env: NodeJS.ProcessEnv = process.env): Promise<IssuerChoice> {
  const issuer = flags.issuer ?? env.HOOP_OIDC_ISSUER;
  const clientId = flags.clientId ?? env.HOOP_OIDC_CLIENT_ID;
  if (issuer && clientId) return { issuer, clientId, scopes: DEFAULT_SCOPES };
  let config: AuthConfigResponse;
  try {
    const response = await fetch(`${gateway.replace(/\/+$/, '')}/v1/auth/config`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = (await response.json()) as AuthConfigResponse;
  } catch (error) {
    throw new ClientError('UNAVAILABLE', `cannot ask the gateway at ${gateway} which issuer to use (${oneLine(error)}); pass --issuer and --client-id`);
  }
  const candidates = config.issuers.filter((entry) => entry.clientId && (!issuer || entry.issuer === issuer));
  const chosen = candidates[0];
  if (!chosen) {
    throw new ClientError('UNAVAILABLE', issuer ? `the gateway has no client id for ${issuer}; pass --client-id` : 'the gateway lists no OIDC issuer with a clientId (auth.oidc[].clientId); pass --issuer and --client-id');
  }
  return { issuer: chosen.issuer, clientId: clientId ?? chosen.clientId!, scopes: chosen.scopes?.length ? chosen.scopes : DEFAULT_SCOPES };
}

function toCache(choice: { issuer: string; clientId: string }, tokens: oidc.TokenEndpointResponse, previous?: CachedTokens): CachedTokens {
  return {
    issuer: choice.issuer,
    client_id: choice.clientId,
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    // A refresh response may omit the refresh token (no rotation): keep the one we have.
    refresh_token: tokens.refresh_token ?? previous?.refresh_token,
    id_token: tokens.id_token ?? previous?.id_token,
    scope: tokens.scope ?? previous?.scope,
    expires_at: typeof tokens.expires_in === 'number' ? Math.floor(Date.now() / 1000) + tokens.expires_in : undefined,
  };
}

export async function login(options: { issuer?: string; clientId?: string; gateway: string; stderr: NodeJS.WritableStream; env?: NodeJS.ProcessEnv }): Promise<CachedTokens> {
  const env = options.env ?? process.env;
  const choice = await chooseIssuer(options, options.gateway, env);
  const config = await discoverIssuer(choice.issuer, choice.clientId);
  let device: oidc.DeviceAuthorizationResponse;
  try {
    device = await oidc.initiateDeviceAuthorization(config, { scope: choice.scopes.join(' ') });
  } catch (error) {
    throw new ClientError('UNAVAILABLE', `the issuer refused to start a device sign-in: ${oneLine(error)}`);
  }
  options.stderr.write(
    [
      `To sign in, open ${device.verification_uri} and enter the code: ${device.user_code}`,
      ...(device.verification_uri_complete ? [`(or open ${device.verification_uri_complete})`] : []),
      `Waiting for you to finish in the browser (the code expires in ${Math.round(device.expires_in / 60)} min)…`,
      '',
    ].join('\n'),
  );
  let tokens: oidc.TokenEndpointResponse;
  try {
    tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
  } catch (error) {
    const code = (error as { error?: string }).error;
    if (code === 'access_denied') throw new ClientError('UNAUTHENTICATED', 'sign-in was denied in the browser');
    if (code === 'expired_token') throw new ClientError('UNAUTHENTICATED', 'the code expired before sign-in finished; run hoop-shell login again');
    throw new ClientError('UNAUTHENTICATED', `sign-in failed: ${oneLine(error)}`);
  }
  const cached = toCache(choice, tokens);
  const file = writeTokenCache(cached, env);
  options.stderr.write(`Signed in. Token cached in ${file}${cached.refresh_token ? ' (refreshed automatically)' : ''}.\n`);
  return cached;
}

/**
 * Before a command: when the cached access token is (nearly) expired and a refresh token is at
 * hand, refresh it. Not when the caller passed --token or HOOP_TOKEN. A failed refresh says so
 * in one line and lets the command go on (the gateway will name the expired token).
 */
export async function refreshCachedToken(globals: GlobalOptions, stderr: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (globals.token || env.HOOP_TOKEN) return;
  const cached = readTokenCache(env);
  if (!cached) return;
  const expiry = accessTokenExpiry(cached);
  if (expiry === undefined || expiry - Math.floor(Date.now() / 1000) > REFRESH_MARGIN_SECONDS) return;
  if (!cached.refresh_token || !cached.issuer || !cached.client_id) {
    if (expiry <= Math.floor(Date.now() / 1000)) stderr.write('hoop-shell: the cached login token expired and cannot be refreshed; run hoop-shell login\n');
    return;
  }
  try {
    const config = await discoverIssuer(cached.issuer, cached.client_id);
    const tokens = await oidc.refreshTokenGrant(config, cached.refresh_token);
    writeTokenCache(toCache({ issuer: cached.issuer, clientId: cached.client_id }, tokens, cached), env);
  } catch (error) {
    stderr.write(`hoop-shell: could not refresh the cached token (${error instanceof ClientError ? error.message : oneLine(error)}); run hoop-shell login\n`);
  }
}

/** Best effort: tell the IdP the refresh token is no longer wanted (RFC 7009). The cache is gone either way. */
async function revokeAtIssuer(cached: CachedTokens, stderr: NodeJS.WritableStream): Promise<void> {
  try {
    const config = await discoverIssuer(cached.issuer, cached.client_id);
    if (!config.serverMetadata().revocation_endpoint) return;
    await oidc.tokenRevocation(config, cached.refresh_token!, { token_type_hint: 'refresh_token' });
  } catch (error) {
    stderr.write(`hoop-shell: the identity provider was not told (${error instanceof ClientError ? error.message : oneLine(error)}); the refresh token stays valid there until it expires\n`);
  }
}

export interface WhoamiAnswer {
  user: string;
  groups: string[];
  roles?: string[];
  actor?: string;
  issuer?: string;
  connections?: string[];
  expiresAt?: number;
}

export function formatWhoami(me: WhoamiAnswer, now = Date.now()): string {
  let expires = 'never';
  if (me.expiresAt) {
    const left = me.expiresAt - Math.floor(now / 1000);
    const relative = left <= 0 ? 'expired' : left >= 3600 ? `in ${Math.floor(left / 3600)}h${Math.floor((left % 3600) / 60)}m` : left >= 60 ? `in ${Math.floor(left / 60)}m` : `in ${left}s`;
    expires = `${new Date(me.expiresAt * 1000).toISOString()} (${relative})`;
  }
  return [
    `user: ${me.user}${me.actor ? ` (via agent ${me.actor})` : ''}`,
    `groups: ${me.groups.join(', ') || '(none)'}`,
    `roles: ${me.roles?.join(', ') || '(none)'}`,
    ...(me.connections ? [`connections: ${me.connections.join(', ')}`] : []),
    ...(me.issuer ? [`issuer: ${me.issuer}`] : []),
    `expires: ${expires}`,
    '',
  ].join('\n');
}

export async function printWhoami(globals: GlobalOptions, stdout: NodeJS.WritableStream): Promise<void> {
  const me = await gatewayFrom(globals).request<WhoamiAnswer>('GET', '/v1/whoami');
  stdout.write(formatWhoami(me));
}

/** Registers `login` and `logout` (whoami stays in main.ts and calls printWhoami). */
export function registerLoginCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('login')
    .description('sign in with your identity provider (device flow) and cache the token')
    .option('--issuer <url>', 'OIDC issuer (default $HOOP_OIDC_ISSUER or the gateway\'s /v1/auth/config)')
    .option('--client-id <id>', 'OAuth client id (default $HOOP_OIDC_CLIENT_ID or the gateway\'s)')
    .action(async (options: { issuer?: string; clientId?: string }) => {
      await login({ ...options, gateway: gatewayUrl(globals()), stderr: process.stderr });
      try {
        const me = await new Gateway({ url: gatewayUrl(globals()), token: readTokenCache()!.access_token }).request<WhoamiAnswer>('GET', '/v1/whoami');
        process.stderr.write(formatWhoami(me));
      } catch (error) {
        process.stderr.write(`hoop-shell: signed in, but the gateway did not accept the token yet: ${(error as Error).message}\n`);
      }
    });

  program
    .command('logout')
    .description('remove the cached login token')
    .action(async () => {
      const cached = readTokenCache();
      if (!removeTokenCache()) {
        process.stderr.write('Not logged in (no cached token).\n');
        return;
      }
      process.stderr.write('Logged out: the cached token was removed.\n');
      if (cached?.refresh_token) await revokeAtIssuer(cached, process.stderr);
    });
}
