/**
 * The one error family that reaches a wire or a terminal. Each code knows its consequence:
 * the HTTP status, the WebSocket close code (when the connection cannot go on) and the exit
 * status of the CLI. Untrusted input gets a GatewayError; programming mistakes stay TypeErrors.
 */

export const ErrorCodes = {
  UNAUTHENTICATED: { http: 401, exit: 1 },
  FORBIDDEN: { http: 403, exit: 1 },
  NOT_FOUND: { http: 404, exit: 1 },
  BAD_REQUEST: { http: 400, exit: 2 },
  BAD_MESSAGE: { http: 400, exit: 1 },
  FRAME_TOO_LARGE: { http: 413, exit: 1 },
  UNKNOWN_CONNECTION: { http: 404, exit: 1 },
  UNKNOWN_SESSION: { http: 404, exit: 1 },
  SESSION_STATE: { http: 409, exit: 1 },
  POLICY_DENIED: { http: 403, exit: 77 },
  APPROVAL_DENIED: { http: 403, exit: 77 },
  APPROVAL_EXPIRED: { http: 403, exit: 77 },
  SPAWN_FAILED: { http: 500, exit: 1 },
  CONFIG_INVALID: { http: 500, exit: 1 },
  UNAVAILABLE: { http: 503, exit: 1 },
  INTERNAL: { http: 500, exit: 1 },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** WebSocket close codes (4000-4999 are application-defined). */
export const CloseCodes = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL: 1011,
  SESSION_ENDED: 4000,
  TERMINATED: 4001,
  UNAUTHENTICATED: 4401,
} as const;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
  }
  get httpStatus(): number {
    return ErrorCodes[this.code].http;
  }
  get exitCode(): number {
    return ErrorCodes[this.code].exit;
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}

/** A one-line description of any thrown value, for logs and terminals (never a stack). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
