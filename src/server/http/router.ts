/**
 * A small router for the gateway's JSON API. Handlers get the verified identity; errors become
 * `{error: {code, message}}` with the GatewayError's status, never a stack.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, describeError, isGatewayError } from '../../errors.js';
import type { Identity } from '../auth/identity.js';

export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Undefined only on routes declared `public`. */
  identity: Identity;
  /** Reads and parses a JSON body (bounded). */
  body(): Promise<unknown>;
}

export type RouteHandler = (context: RouteContext) => unknown | Promise<unknown>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
  public: boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;

export class Router {
  readonly #routes: Route[] = [];

  /** `pattern` like `/v1/sessions/:id`. Public routes skip authentication (health, static assets). */
  add(method: string, pattern: string, handler: RouteHandler, options: { public?: boolean } = {}): void {
    const keys: string[] = [];
    const source = pattern.replace(/:([a-zA-Z]+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler, public: options.public ?? false });
  }

  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [index, key] of route.keys.entries()) {
        try {
          params[key] = decodeURIComponent(found[index + 1]!);
        } catch {
          throw new GatewayError('BAD_REQUEST', `malformed escape in ${pathname}`);
        }
      }
      return { route, params };
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}

export function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new GatewayError('FRAME_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new GatewayError('BAD_REQUEST', 'request body is not valid JSON'));
      }
    });
    request.on('error', reject);
  });
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  if (response.headersSent) return;
  const body = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}

export function sendError(response: ServerResponse, error: unknown): void {
  const gatewayError = isGatewayError(error) ? error : new GatewayError('INTERNAL', describeError(error));
  sendJson(response, gatewayError.httpStatus, { error: { code: gatewayError.code, message: gatewayError.message } });
}
