/**
 * Kubernetes `Status` answers built by the proxy itself (refusals, auth failures, upstream
 * trouble), so kubectl prints them as `Error from server (Reason): message`.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const REASONS: Record<number, [string, string]> = {
  400: ['BadRequest', 'Bad Request'],
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'Forbidden'],
  413: ['RequestEntityTooLarge', 'Payload Too Large'],
  415: ['UnsupportedMediaType', 'Unsupported Media Type'],
  422: ['Invalid', 'Unprocessable Entity'],
  502: ['InternalError', 'Bad Gateway'],
  503: ['ServiceUnavailable', 'Service Unavailable'],
};

export function statusBody(code: number, message: string): string {
  const [reason] = REASONS[code] ?? ['InternalError', 'Error'];
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

export function sendStatus(response: ServerResponse, code: number, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  // kubectl shows a 5xx Status only as 'an error on the server ("unknown")'; a plain-text body it
  // prints verbatim, so server-side trouble is answered in text.
  const text = code >= 500;
  const body = text ? message : statusBody(code, message);
  response.writeHead(code, { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}

/** The same answer on a raw socket (refusing an upgrade before it happens). */
export function writeStatusToSocket(socket: Duplex, code: number, message: string): void {
  const body = statusBody(code, message);
  const [, text] = REASONS[code] ?? ['InternalError', 'Error'];
  socket.end(`HTTP/1.1 ${code} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
