/**
 * `hoop-tui`: the on-call approver's console. Gateway and token come from the same flags and
 * environment as hoop-shell (`--gateway`/HOOP_GATEWAY, `--token`/HOOP_TOKEN, the login cache).
 * Full screen on the terminal's alternate screen; the terminal is restored on every way out.
 */
import { Command } from 'commander';
import { render } from 'ink';
import { createElement } from 'react';
import { runProgram, UsageError } from '../cli/boundary.js';
import { gatewayFrom, type GlobalOptions } from '../shell/credentials.js';
import { App } from './App.js';
import { gatewayBackend } from './backend.js';
import { themeFor } from './theme.js';

export function buildTuiProgram(): Command {
  return new Command('hoop-tui')
    .description('The approver console: held commands, live sessions, history. Press ? inside for keys.')
    .version('0.1.0')
    .option('--gateway <url>', 'gateway URL (default $HOOP_GATEWAY or http://127.0.0.1:8009)')
    .option('--token <jwt>', 'bearer token (default $HOOP_TOKEN or the login cache)')
    .action(async (options: GlobalOptions) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError('hoop-tui needs a terminal (stdin and stdout must be a TTY)');
      const gateway = gatewayFrom(options);
      await runConsole(gateway);
    });
}

async function runConsole(gateway: ReturnType<typeof gatewayFrom>): Promise<void> {
  const out = process.stdout;
  out.write('\x1b[?1049h\x1b[H'); // alternate screen: the shell's scrollback stays as it was
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    out.write('\x1b[?1049l');
  };
  process.once('exit', restore);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      app?.unmount();
      restore();
      process.exit(128 + (signal === 'SIGTERM' ? 15 : 1));
    });
  }
  let app: ReturnType<typeof render> | undefined;
  const backend = gatewayBackend(gateway, {
    bell: () => out.write('\x07'),
    quit: () => app?.unmount(),
  });
  app = render(createElement(App, { backend, theme: themeFor() }), { exitOnCtrlC: false, patchConsole: true });
  try {
    await app.waitUntilExit();
  } finally {
    restore();
  }
  process.exit(0); // sockets and timers of the live feed must not keep the process alive
}

export function main(argv = process.argv): Promise<void> {
  return runProgram(buildTuiProgram(), argv);
}
