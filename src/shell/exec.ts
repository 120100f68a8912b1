/**
 * `hoop-shell exec CONNECTION -- COMMAND…`: one command through the gateway. Output goes to
 * stdout/stderr as it comes (paced by the local terminal or pipe), piped stdin flows to the
 * command, and the exit status is the command's own (77 refused, 1 gateway errors).
 */
import type { Gateway } from '../client/gateway.js';
import { ClientError } from '../client/errors.js';
import type { ClientSession, RunResult } from '../client/session.js';

export interface ExecOptions {
  connection: string;
  command: string[];
  json: boolean;
  timeoutSeconds?: number;
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  stdinIsTty: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Returns the exit status for the process. */
export async function execCommand(gateway: Gateway, options: ExecOptions): Promise<number> {
  const session = await gateway.openSession({ connection: options.connection, interactive: false });
  const timer = options.timeoutSeconds
    ? setTimeout(() => {
        options.stderr.write(`hoop-shell: gave up after ${options.timeoutSeconds}s (--timeout); the command was cancelled\n`);
        void session.close().finally(() => process.exit(1));
      }, options.timeoutSeconds * 1000)
    : undefined;
  try {
    const sendStdin = !options.stdinIsTty;
    const run = session.run(options.command, { stdin: sendStdin, collect: options.json });
    // Ctrl-C cancels the remote command (held or running), as ssh would; a second one leaves at once.
    let interrupts = 0;
    const onInterrupt = (): void => {
      interrupts += 1;
      if (interrupts > 1) process.exit(130);
      session.cancel(run.id);
    };
    process.on('SIGINT', onInterrupt);
    void run.result.finally(() => process.off('SIGINT', onInterrupt)).catch(() => {});
    session.on('held', (held) => {
      options.stderr.write(`hoop-shell: ⏸ held for approval ${held.approval} (rule "${held.rule}", needs ${held.needs}); waiting…\n`);
    });
    session.on('message', (message) => {
      if (message.type === 'approved') options.stderr.write(`hoop-shell: ✔ approved by ${message.by.join(', ')}\n`);
    });
    if (!options.json) pipeOutput(session, options.stdout, options.stderr);
    if (sendStdin) pipeStdin(session, options.stdin);
    const result = await run.result;
    await session.close();
    return report(result, options);
  } finally {
    clearTimeout(timer);
  }
}

function report(result: RunResult, options: ExecOptions): number {
  if (options.json) {
    const body: Record<string, unknown> = { decision: result.decision, exitCode: result.exitCode, output: result.output ?? '' };
    if (result.approval) body.approval = result.approval;
    if (result.approvedBy) body.approvedBy = result.approvedBy;
    if (result.reason) body.reason = result.reason;
    options.stdout.write(`${JSON.stringify(body)}\n`);
  } else if (result.decision === 'deny') {
    const by = result.deniedBy ? ` by ${result.deniedBy}` : '';
    options.stderr.write(`hoop-shell: ✖ denied${by}: ${result.reason ?? 'refused by policy'}\n`);
  }
  return result.exitCode;
}

/** Writes output as it arrives; stops reading from the gateway while the local side is full. */
function pipeOutput(session: ClientSession, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
  session.on('data', (stream, chunk) => {
    const target = stream === 2 ? stderr : stdout;
    if (!target.write(chunk)) {
      session.pause();
      target.once('drain', () => session.resume());
    }
  });
}

function pipeStdin(session: ClientSession, stdin: NodeJS.ReadableStream): void {
  stdin.on('data', (chunk: Buffer) => {
    session.write(chunk);
    // Keep our own queue towards the gateway bounded.
    if (session.bufferedAmount > 4 * 1024 * 1024) {
      stdin.pause();
      const wait = setInterval(() => {
        if (session.bufferedAmount < 1024 * 1024) {
          clearInterval(wait);
          stdin.resume();
        }
      }, 5);
    }
  });
  stdin.on('end', () => session.eof());
  stdin.on('error', () => session.eof());
}

export function ensureCommand(command: string[]): void {
  if (command.length === 0) throw new ClientError('USAGE', 'exec needs a command after "--", e.g. hoop-shell exec shell -- echo hi');
}
