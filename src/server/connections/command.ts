/**
 * `type: command` connections: the configured program in a pty for `connect`; for a run, the
 * same program given the command line after its exec flag (`bash --noprofile --norc -c LINE`),
 * or the argv itself when the run sends one.
 */
import type { CommandConnectionConfig } from '../../config/schema.js';
import type { ConnectionDriver, RunCommand, SessionContext } from './driver.js';
import type { LaunchSpec } from '../session/program.js';

function spec(context: SessionContext, argv: string[]): LaunchSpec {
  const connection = context.connection as CommandConnectionConfig;
  const [file, ...args] = argv;
  return { file: file!, args, env: context.env, cwd: connection.cwd ?? context.home };
}

export const commandDriver: ConnectionDriver = {
  type: 'command',
  mode: (interactive) => (interactive ? 'shell' : 'runs'),
  prepare: async () => {},
  shellSpec: (context) => spec(context, (context.connection as CommandConnectionConfig).command),
  runSpec(context, command) {
    const connection = context.connection as CommandConnectionConfig;
    // Contract: exec's words are joined by spaces into one command line (so 'env | grep X' works).
    const line = typeof command === 'string' ? command : command.join(' ');
    return spec(context, [...connection.command, connection.execFlag, line]);
  },
  describe: (command: RunCommand) => (typeof command === 'string' ? command : command.join(' ')),
  cleanup: () => {},
};
