/**
 * The audit and replay endpoints: `GET /v1/audit`, `GET /v1/audit/verify`,
 * `GET /v1/sessions/:id/recording`, and the browser replay under `/replay/…` (page, cast, the
 * player's own assets). Access: a session's own user, auditors and admins. Replay routes
 * authenticate themselves (grant cookie), never log a URL (it may carry `?token=`), and only
 * ever open files named by a validated session id.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GatewayError, describeError, isGatewayError } from '../../errors.js';
import { scanCast } from '../../recorder/asciicast-reader.js';
import { ASSET_PATHS, PAGE_CSP, PAGE_SCRIPT, PAGE_STYLE, placeCommands, renderProblemPage, renderReplayPage, renderSignInPage } from '../../recorder/replay-page.js';
import type { Identity } from '../auth/identity.js';
import type { Gateway } from '../gateway.js';
import type { SessionRow } from '../store/store.js';
import type { AuditChain } from './audit-chain.js';
import { listAuditCommands, resolveSince } from './audit-query.js';
import { SESSION_ID_PATTERN, grantCookie, mintReplayGrant, readReplayGrant } from './replay-grant.js';

const require = createRequire(import.meta.url);
const MAX_FORM_BYTES = 16 * 1024;

/** Auditor and admin powers; never through an agent token, whatever its engineer's groups. */
export function isPrivileged(gateway: Gateway, identity: Identity): boolean {
  if (identity.actor) return false;
  return gateway.hasRole(identity, 'auditor') || gateway.hasRole(identity, 'admin');
}

/** An engineer sees their own sessions (also their agents'); an agent only its own. */
function isOwn(identity: Identity, row: { user: string | null; actor: string | null }): boolean {
  return row.user === identity.user && (!identity.actor || row.actor === identity.actor);
}

function mayReplay(gateway: Gateway, identity: Identity, row: SessionRow): boolean {
  return isOwn(identity, row) || isPrivileged(gateway, identity);
}

/** The session row for an id from a URL; ids that are not UUIDs are unknown (no file access). */
function sessionFor(gateway: Gateway, id: string): SessionRow {
  const row = SESSION_ID_PATTERN.test(id) ? gateway.store.getSession(id) : undefined;
  if (!row) throw new GatewayError('UNKNOWN_SESSION', `no session ${id.slice(0, 64)}`);
  return row;
}

function recordingFile(gateway: Gateway, row: SessionRow): string {
  const file = path.join(gateway.recordingsDir, `${row.id}.cast`);
  if (!existsSync(file)) throw new GatewayError('NOT_FOUND', `the recording of session ${row.id} is gone (deleted by retention or never written)`);
  return file;
}

function sendCast(response: ServerResponse, file: string): void {
  response.writeHead(200, { 'content-type': 'application/x-asciicast; charset=utf-8', 'content-length': statSync(file).size, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  createReadStream(file).pipe(response);
}

export function registerAuditRoutes(gateway: Gateway, chain: AuditChain): void {
  gateway.router.add('GET', '/v1/audit', ({ identity, query }) => {
    const decision = query.get('decision') ?? undefined;
    if (decision && !['allow', 'deny', 'review'].includes(decision)) throw new GatewayError('BAD_REQUEST', `decision must be allow, deny or review, got "${decision.slice(0, 40)}"`);
    const sinceText = query.get('since') ?? undefined;
    const since = resolveSince(sinceText);
    if (sinceText && !since) throw new GatewayError('BAD_REQUEST', `since must be a duration such as 1h or 7d, or an ISO time`);
    let user = query.get('user') ?? undefined;
    if (!isPrivileged(gateway, identity)) {
      if (user && user !== identity.user) throw new GatewayError('FORBIDDEN', 'only auditors and admins may read the audit of other users');
      user = identity.user;
    }
    const rows = listAuditCommands(chain, { user, connection: query.get('connection') ?? undefined, since, decision });
    return isPrivileged(gateway, identity) ? rows : rows.filter((row) => isOwn(identity, row));
  });

  gateway.router.add('GET', '/v1/audit/verify', ({ identity }) => {
    if (!isPrivileged(gateway, identity)) throw new GatewayError('FORBIDDEN', 'only auditors and admins may verify the audit chain');
    return chain.verify();
  });

  gateway.router.add('GET', '/v1/sessions/:id/recording', ({ identity, params, response }) => {
    const row = sessionFor(gateway, params.id!);
    if (!mayReplay(gateway, identity, row)) throw new GatewayError('FORBIDDEN', `session ${row.id} is not yours to replay (auditors and admins may)`);
    sendCast(response, recordingFile(gateway, row));
  });
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function sendHtml(response: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'content-security-policy': PAGE_CSP,
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(html);
}

function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new GatewayError('FRAME_TOO_LARGE', 'form too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    request.on('error', reject);
  });
}

export function registerReplayRoutes(gateway: Gateway, chain: AuditChain): void {
  const asset = (file: string, type: string) => {
    let body: Buffer | undefined;
    return ({ response }: { response: ServerResponse }) => {
      body ??= readFileSync(file);
      response.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
      response.end(body);
    };
  };
  const text = (body: string, type: string) => ({ response }: { response: ServerResponse }) => {
    response.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
    response.end(body);
  };
  gateway.router.add('GET', ASSET_PATHS.playerJs, asset(require.resolve('asciinema-player/dist/bundle/asciinema-player.min.js'), 'text/javascript; charset=utf-8'), { public: true });
  gateway.router.add('GET', ASSET_PATHS.playerCss, asset(require.resolve('asciinema-player/dist/bundle/asciinema-player.css'), 'text/css; charset=utf-8'), { public: true });
  gateway.router.add('GET', ASSET_PATHS.pageJs, text(PAGE_SCRIPT, 'text/javascript; charset=utf-8'), { public: true });
  gateway.router.add('GET', ASSET_PATHS.pageCss, text(PAGE_STYLE, 'text/css; charset=utf-8'), { public: true });

  /** Every replay handler ends here on failure: an HTML page with the status, nothing logged with the URL. */
  const guarded =
    (handler: (request: IncomingMessage, response: ServerResponse, id: string, query: URLSearchParams) => Promise<void>) =>
    async ({ request, response, params, query }: { request: IncomingMessage; response: ServerResponse; params: Record<string, string>; query: URLSearchParams }) => {
      try {
        await handler(request, response, params.id!, query);
      } catch (error) {
        if (response.headersSent) return void response.destroy();
        const known = isGatewayError(error);
        if (!known) gateway.logger.log('error', 'replay.error', { error: describeError(error) });
        sendHtml(response, known ? error.httpStatus : 500, renderProblemPage(known ? error.httpStatus : 500, known ? error.message : 'internal error'));
      }
    };

  /** Exchanges a bearer token for the session-scoped grant cookie, then drops the token from the URL. */
  const exchange = async (response: ServerResponse, id: string, token: string): Promise<void> => {
    const row = sessionFor(gateway, id);
    let identity: Identity;
    try {
      identity = await gateway.verifier.verify(token.trim());
    } catch (error) {
      return sendHtml(response, 401, renderSignInPage(row.id, describeError(error)));
    }
    if (!mayReplay(gateway, identity, row)) {
      gateway.logger.log('warn', 'replay.forbidden', { session: row.id, user: identity.user });
      return sendHtml(response, 403, renderProblemPage(403, `${identity.user} may not replay session ${row.id}: only its own user, auditors and admins may`));
    }
    const grant = await mintReplayGrant(gateway.signingKey, { user: identity.user, sessionId: row.id });
    response.writeHead(303, { location: `/replay/${row.id}`, 'set-cookie': grantCookie(row.id, grant), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    response.end();
  };

  gateway.router.add(
    'GET',
    '/replay/:id',
    guarded(async (request, response, id, query) => {
      const token = query.get('token');
      if (token) return exchange(response, id, token);
      const row = sessionFor(gateway, id);
      const grant = await readReplayGrant(gateway.signingKey, request, row.id);
      if (!grant) return sendHtml(response, 401, renderSignInPage(row.id));
      const { markers } = scanCast(readFileSync(recordingFile(gateway, row)), `session ${row.id}`);
      const commands = placeCommands(listAuditCommands(chain, { sessionId: row.id }), markers);
      const sealed = chain.rows({ kinds: ['recording'], sessionId: row.id }).at(-1);
      const html = renderReplayPage({
        facts: {
          id: row.id,
          user: row.user,
          actor: row.actor,
          connection: row.connection,
          mode: row.mode,
          state: row.state,
          startedAt: row.started_at,
          endedAt: row.ended_at,
          exitCode: row.exit_code,
          endReason: row.end_reason,
          recordingSha256: sealed ? ((JSON.parse(sealed.data) as { sha256?: string }).sha256 ?? null) : null,
        },
        commands,
        markers,
        castUrl: `/replay/${row.id}/cast`,
      });
      sendHtml(response, 200, html);
    }),
    { public: true },
  );

  gateway.router.add(
    'POST',
    '/replay/:id',
    guarded(async (request, response, id) => {
      // Only the gateway's own sign-in form may post here (no cross-site login into someone's grant).
      // Browsers say where a POST comes from in Sec-Fetch-Site; Origin is "null" under no-referrer.
      const site = request.headers['sec-fetch-site'];
      const origin = request.headers.origin;
      const crossSite = site ? site !== 'same-origin' && site !== 'none' : Boolean(origin && origin !== 'null' && !sameHost(origin, request.headers.host));
      if (crossSite) throw new GatewayError('FORBIDDEN', 'sign-in must come from the gateway\'s own page');
      const form = await readForm(request);
      const token = form.get('token');
      if (!token) return sendHtml(response, 401, renderSignInPage(sessionFor(gateway, id).id, 'no token given'));
      return exchange(response, id, token);
    }),
    { public: true },
  );

  gateway.router.add(
    'GET',
    '/replay/:id/cast',
    guarded(async (request, response, id) => {
      const row = sessionFor(gateway, id);
      const grant = await readReplayGrant(gateway.signingKey, request, row.id);
      if (!grant) throw new GatewayError('UNAUTHENTICATED', 'no replay grant for this session: open /replay/<id> first');
      sendCast(response, recordingFile(gateway, row));
    }),
    { public: true },
  );
}
