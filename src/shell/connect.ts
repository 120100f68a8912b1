/**
 * `hoop-shell connect CONNECTION`: an interactive terminal through the gateway. Raw mode while
 * connected; the local terminal is restored on every way out (exit, gateway gone, signal, crash).
 */
import type { Gateway } from '../client/gateway.js';
import type { ClientSession } from '../client/session.js';

export interface ConnectOptions {
  connection?: string;
  /** Reattach to this session id instead of opening a new one. */
  attach?: string;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WritableStream;
}

/** Puts the terminal in raw mode and returns the function that restores it (idempotent). */
export function enterRawMode(stdin: NodeJS.ReadStream): () => void {
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode(false);
    } catch {
      /* the terminal is already gone */
    }
  };
  process.once('exit', restore);
  return restore;
}

export async function connectTerminal(gateway: Gateway, options: ConnectOptions): Promise<number> {
  const { stdin, stdout } = options;
  const size = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  let session: ClientSession;
  if (options.attach) {
    const attached = await gateway.attachSession(options.attach);
    session = attached.session;
    options.stderr.write(`hoop-shell: reattached to ${session.id}${attached.skippedBytes ? ` (${attached.skippedBytes} bytes of output were too old to replay; the recording has them)` : ''}\r\n`);
    session.resize(size().cols, size().rows);
  } else {
    session = await gateway.openSession({ connection: options.connection!, interactive: true, ...size() });
  }
  if (session.mode === 'broker') {
    const { runBrokerPrompt } = await import('./broker-prompt.js');
    return runBrokerPrompt(session, options);
  }
  return runRawTerminal(session, options, size);
}

function runRawTerminal(session: ClientSession, options: ConnectOptions, size: () => { cols: number; rows: number }): Promise<number> {
  const { stdin, stdout, stderr } = options;
  const restore = enterRawMode(stdin);
  const onResize = (): void => {
    const { cols, rows } = size();
    session.resize(cols, rows);
  };
  const onInput = (chunk: Buffer): void => session.write(chunk);
  stdout.on('resize', onResize);
  stdin.on('data', onInput);
  stdin.resume();
  session.on('data', (_stream, chunk) => {
    if (!stdout.write(chunk)) {
      session.pause();
      stdout.once('drain', () => session.resume());
    }
  });
  return new Promise((resolve) => {
    session.on('close', () => {
      stdin.off('data', onInput);
      stdout.off('resize', onResize);
      stdin.pause();
      restore();
      const exit = session.exitMessage;
      if (exit?.replay) stderr.write(`\r\nhoop-shell: replay: ${exit.replay}\n`);
      if (!exit) {
        const hint = session.lastError ? '' : `; the session waits briefly: hoop-shell connect --attach ${session.id}`;
        stderr.write(`\r\nhoop-shell: ${session.lastError?.message ?? 'connection to the gateway lost'}${hint}\n`);
        return resolve(1);
      }
      if (exit.exitCode === null) {
        stderr.write(`\r\nhoop-shell: session ended: ${exit.reason ?? 'closed'}\n`);
        return resolve(1);
      }
      resolve(exit.exitCode);
    });
  });
}
