/** Errors a client sees: the gateway's code and one-line message, and the exit status it implies. */
export class ClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
  }
  /** Contract exit codes: 77 refused by policy or approver, 2 usage, 1 everything else. */
  get exitCode(): number {
    if (this.code === 'POLICY_DENIED' || this.code === 'APPROVAL_DENIED' || this.code === 'APPROVAL_EXPIRED') return 77;
    if (this.code === 'USAGE') return 2;
    return 1;
  }
}
