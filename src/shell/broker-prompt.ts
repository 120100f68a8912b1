/**
 * The broker prompt of `hoop-shell connect` on a kubernetes connection (issue 3): a prompt naming
 * the connection and namespace, line editing and history on this side (node:readline), and each
 * line sent to the gateway as one `run`. Interactive commands (exec -it, attach, logs -f,
 * port-forward, watches) run in a pty with keystrokes streamed raw until they exit; Ctrl-C stops
 * the running command, never the prompt. `ns NAME` switches the namespace later commands use
 * (`-n NAME` in front); `edit` runs on this side (broker-edit.ts). `exit`, `quit` or Ctrl-D leave.
 *
 * It never splits or checks commands for the gateway's sake (the gateway does that); the words
 * it looks at here only choose how the terminal behaves.
 */
import { createInterface, type Interface } from 'node:readline';
import { parse as parseShell } from 'shell-quote';
import type { ClientSession, RunResult } from '../client/session.js';
import { editOnClient } from './broker-edit.js';
import type { ConnectOptions } from './connect.js';
import { enterRawMode } from './connect.js';

const HISTORY_SIZE = 1000;

/** The words of a line as kubectl will see them (best effort; only for choosing the terminal mode). */
export function promptWords(line: string): string[] {
  const words = parseShell(line).filter((token): token is string => typeof token === 'string');
  if (words[0] === 'kubectl') words.shift();
  return words;
}

/** Whether a command needs a terminal with raw keystrokes (interactive, or runs until Ctrl-C). */
export function wantsTerminal(words: string[]): boolean {
  const end = words.indexOf('--');
  const flags = (end === -1 ? words : words.slice(0, end)).filter((word) => word.startsWith('-'));
  const subcommand = words.find((word) => !word.startsWith('-'));
  const has = (long: string[], short: string[]): boolean =>
    flags.some((flag) => long.some((name) => flag === `--${name}` || flag.startsWith(`--${name}=`) && !flag.endsWith('=false')) || (!flag.startsWith('--') && short.some((letter) => flag.slice(1).includes(letter))));
  switch (subcommand) {
    case 'exec':
    case 'attach':
    case 'run':
    case 'debug':
      return has(['tty', 'stdin'], ['t', 'i']);
    case 'logs':
    case 'log':
      return has(['follow'], ['f']);
    case 'port-forward':
      return true;
    case 'get':
    case 'events':
      return has(['watch', 'watch-only'], ['w']);
    case 'rollout':
      return words.includes('status');
    default:
      return false;
  }
}

/**
 * The words to run for a line typed while the prompt's namespace is `namespace`: `-n NAMESPACE`
 * goes in front unless the command names its own namespace (or all of them).
 */
export function withNamespace(words: string[], namespace: string | undefined, contextNamespace: string | undefined): string[] {
  if (!namespace || namespace === contextNamespace) return words;
  const end = words.indexOf('--');
  const own = (end === -1 ? words : words.slice(0, end)).some(
    (word) => word === '-n' || word.startsWith('-n') && !word.startsWith('--') || word === '--namespace' || word.startsWith('--namespace=') || word === '-A' || word.startsWith('--all-namespaces'),
  );
  return own ? words : ['-n', namespace, ...words];
}

export function promptText(connection: string, namespace: string | undefined): string {
  return `${connection}${namespace ? ` (${namespace})` : ''}> `;
}

/** Asks the gateway for the session kubeconfig's namespace (a run like any other, so it is recorded). */
async function currentNamespace(session: ClientSession): Promise<string | undefined> {
  try {
    const result = await session.run(['config', 'view', '--minify', '-o', 'jsonpath={..namespace}'], { collect: true }).result;
    const text = result.output?.trim();
    return result.exitCode === 0 && text ? text : 'default';
  } catch {
    return undefined;
  }
}

export async function runBrokerPrompt(session: ClientSession, options: ConnectOptions): Promise<number> {
  const { stdin, stdout, stderr } = options;
  let history: string[] = [];
  let gone = false;
  let onRunOutput: ((stream: 1 | 2, chunk: Buffer) => void) | undefined;

  session.on('data', (stream, chunk) => onRunOutput?.(stream, chunk));
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  session.once('close', () => {
    gone = true;
  });

  const contextNamespace = await currentNamespace(session);
  let namespace = contextNamespace;
  let prompt = promptText(session.connection, namespace);
  stderr.write(`hoop-shell: connected to ${session.connection} (kubernetes, broker mode): type kubectl commands, "exit" or Ctrl-D to leave\n`);

  /** One line from the user; undefined on Ctrl-D or when the session is gone. */
  const readLine = (): Promise<string | undefined> =>
    new Promise((resolve) => {
      const rl: Interface = createInterface({ input: stdin, output: stdout, prompt, history, historySize: HISTORY_SIZE, terminal: Boolean(stdin.isTTY), removeHistoryDuplicates: true });
      let answered = false;
      const finish = (line: string | undefined): void => {
        if (answered) return;
        answered = true;
        history = (rl as unknown as { history: string[] }).history ?? history;
        rl.close();
        resolve(line);
      };
      rl.on('line', (line) => finish(line));
      rl.on('close', () => finish(undefined));
      rl.on('SIGINT', () => {
        // Like a shell: Ctrl-C drops the line being typed and shows a fresh prompt.
        stdout.write('^C\n');
        (rl as unknown as { line: string }).line = '';
        rl.prompt();
      });
      void closed.then(() => finish(undefined));
      rl.prompt();
    });

  const runLine = async (line: string): Promise<void> => {
    const terminal = Boolean(stdin.isTTY) && wantsTerminal(promptWords(line));
    // The gateway splits a line itself; only a namespace switch needs the words sent as argv.
    const command = namespace !== contextNamespace ? withNamespace(promptWords(line), namespace, contextNamespace) : line;
    const handle = session.run(command, { tty: terminal, stdin: terminal });
    onRunOutput = (stream, chunk) => (stream === 2 ? stderr : stdout).write(chunk);
    let restore = (): void => {};
    const cleanups: (() => void)[] = [];
    if (terminal) {
      // Keystrokes go to the command's pty as they are typed (Ctrl-C included: the pty makes it a signal).
      restore = enterRawMode(stdin);
      const onInput = (chunk: Buffer): void => session.write(chunk);
      const onResize = (): void => session.resize(stdout.columns || 80, stdout.rows || 24);
      session.resize(stdout.columns || 80, stdout.rows || 24);
      stdin.on('data', onInput);
      stdout.on('resize', onResize);
      stdin.resume();
      cleanups.push(() => {
        stdin.off('data', onInput);
        stdout.off('resize', onResize);
        stdin.pause();
      });
    } else {
      // Cooked terminal: Ctrl-C reaches us as SIGINT; it stops the command, not the prompt.
      const onSigint = (): void => session.signal('SIGINT');
      process.on('SIGINT', onSigint);
      cleanups.push(() => process.off('SIGINT', onSigint));
    }
    let result: RunResult | undefined;
    try {
      result = await handle.result;
    } catch (error) {
      if (!gone) stderr.write(`hoop-shell: ${(error as Error).message}\n`);
    } finally {
      for (const cleanup of cleanups) cleanup();
      restore();
      onRunOutput = undefined;
    }
    if (!result) return;
    if (result.decision === 'deny') {
      const by = result.deniedBy ? ` by ${result.deniedBy}` : '';
      stderr.write(`hoop-shell: ✖ denied${by}: ${result.reason ?? 'refused by policy'}\n`);
    }
  };

  session.on('held', (held) => stderr.write(`hoop-shell: ⏸ held for approval ${held.approval} (rule "${held.rule}", needs ${held.needs}); waiting…\n`));
  session.on('message', (message) => {
    if (message.type === 'approved') stderr.write(`hoop-shell: ✔ approved by ${message.by.join(', ')}\n`);
  });

  for (;;) {
    if (gone) break;
    const line = await readLine();
    if (line === undefined) {
      if (!gone && stdin.isTTY) stdout.write('\n');
      break;
    }
    const text = line.trim();
    if (text === '') continue;
    if (text === 'exit' || text === 'quit' || text === 'logout') break;
    const words = promptWords(text);
    if (words[0] === 'ns' && words.length <= 2) {
      // Client-side, like kubens: later commands get -n NAME (the session kubeconfig stays the gateway's).
      if (words[1]) {
        namespace = words[1];
        prompt = promptText(session.connection, namespace);
      } else stdout.write(`${namespace ?? 'default'}\n`);
      continue;
    }
    if (words[0] === 'edit') {
      // Collected output goes to the terminal after the run, so nothing is printed twice.
      await editOnClient(session, withNamespace(words.slice(1), namespace, contextNamespace), { stdout, stderr });
      continue;
    }
    await runLine(text);
  }
  if (gone) {
    const exit = session.exitMessage;
    stderr.write(`hoop-shell: session ended${exit?.reason ? `: ${exit.reason}` : session.lastError ? `: ${session.lastError.message}` : ''}\n`);
    return 1;
  }
  await session.close();
  // Leaving the prompt is a success; each command's own status was its to report.
  return 0;
}
