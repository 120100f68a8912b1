/** `hoop-shell`: the client of engineers, scripts and agents. */
import { Command } from 'commander';
import { runProgram, UsageError } from '../cli/boundary.js';
import { parseDuration } from '../util/duration.js';
import { registerApprovalCommands } from './approvals.js';
import { connectTerminal } from './connect.js';
import { gatewayFrom, type GlobalOptions } from './credentials.js';
import { ensureCommand, execCommand } from './exec.js';
import { printWhoami, refreshCachedToken, registerLoginCommands } from './login.js';
import { registerTokenCommand } from './token.js';
import { registerAuditCommand } from './audit.js';
import { replayCommand } from './replay.js';

export function buildShellProgram(): Command {
  const program = new Command('hoop-shell')
    .description('Run commands through the hoop-shell gateway: policy-checked, masked, recorded.')
    .version('0.1.0')
    .option('--gateway <url>', 'gateway URL (default $HOOP_GATEWAY or http://127.0.0.1:8009)')
    .option('--token <jwt>', 'bearer token (default $HOOP_TOKEN or the login cache)')
    .enablePositionalOptions();

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  // A cached login token close to expiry is refreshed before any command that talks to the gateway.
  program.hook('preAction', async (_program, action) => {
    if (!['login', 'logout'].includes(action.name())) await refreshCachedToken(globals(), process.stderr);
  });
  registerLoginCommands(program, globals);
  registerTokenCommand(program, globals);

  program
    .command('exec')
    .description('run one command on a connection; exit status is the command\'s (77 refused, 1 gateway error, 2 usage)')
    .argument('<connection>', 'connection name')
    .argument('[command...]', 'the command, after "--"')
    .option('--json', 'print one JSON object {decision, approval?, exitCode, output}')
    .option('--timeout <duration>', 'give up after this long (also while held for approval)')
    .action(async (connection: string, command: string[], options: { json?: boolean; timeout?: string }) => {
      ensureCommand(command);
      let timeoutSeconds: number | undefined;
      if (options.timeout !== undefined) {
        timeoutSeconds = parseDuration(options.timeout);
        if (!timeoutSeconds) throw new UsageError(`--timeout must be a duration such as 30s or 5m, got "${options.timeout}"`);
      }
      process.exitCode = await execCommand(gatewayFrom(globals()), {
        connection,
        command,
        json: options.json ?? false,
        timeoutSeconds,
        stdin: process.stdin,
        stdinIsTty: Boolean(process.stdin.isTTY),
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });

  program
    .command('connect')
    .description('open an interactive session on a connection (or reattach to a dropped one)')
    .argument('[connection]', 'connection name')
    .option('--attach <session-id>', 'reattach to your session whose connection dropped')
    .action(async (connection: string | undefined, options: { attach?: string }) => {
      if (!connection && !options.attach) throw new UsageError('connect needs a connection name (or --attach SESSION_ID)');
      if (connection && options.attach) throw new UsageError('give either a connection or --attach, not both');
      process.exitCode = await connectTerminal(gatewayFrom(globals()), { connection, attach: options.attach, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    });

  program
    .command('sessions')
    .description('list live sessions you may see')
    .option('--json', 'print JSON')
    .option('--all', 'include ended sessions')
    .action(async (options: { json?: boolean; all?: boolean }) => {
      const rows = await gatewayFrom(globals()).request<{ id: string; user: string; actor: string | null; connection: string; state: string; started_at: string }[]>(
        'GET',
        `/v1/sessions${options.all ? '?all=true' : ''}`,
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write('no sessions\n');
        return;
      }
      for (const row of rows) {
        const who = row.actor ? `${row.user} via agent ${row.actor}` : row.user;
        process.stdout.write(`${row.id}  ${row.state.padEnd(11)} ${row.started_at}  ${who}@${row.connection}\n`);
      }
    });

  program
    .command('replay')
    .description('replay a recorded session in this terminal (space pause, ] next marker, q quit)')
    .argument('<session>', 'session id (downloaded from the gateway) or a .cast file')
    .option('--speed <n>', 'playback speed factor', '1')
    .option('--idle-limit <seconds>', 'cut pauses longer than this')
    .action(async (target: string, options: { speed?: string; idleLimit?: string }) => {
      process.exitCode = await replayCommand(target, options, globals());
    });

  registerAuditCommand(program, globals);

  program
    .command('mcp')
    .description('serve the gateway to an AI agent as an MCP server on stdio (tools: list_connections, run_command, approval_status)')
    .action(async () => {
      const { runMcpServer } = await import('./mcp.js');
      await runMcpServer(gatewayFrom(globals()));
    });

  program
    .command('whoami')
    .description('print who the gateway thinks you are: user, groups, roles, expiry')
    .action(async () => {
      await printWhoami(globals(), process.stdout);
    });

  registerApprovalCommands(program, () => gatewayFrom(globals()));

  return program;
}

export function main(argv = process.argv): Promise<void> {
  return runProgram(buildShellProgram(), argv);
}
