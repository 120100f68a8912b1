/**
 * The error boundary every CLI command runs in: a user mistake or a refusal prints one line
 * (`hoop-shell: <reason>`) and sets the contract exit code; only a real bug shows a stack.
 */
import { Command, CommanderError } from 'commander';
import { ClientError } from '../client/errors.js';
import { ConfigError } from '../config/load.js';
import { isGatewayError } from '../errors.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(error: unknown): number | undefined {
  if (error instanceof UsageError) return 2;
  if (error instanceof ClientError) return error.exitCode;
  if (isGatewayError(error)) return error.exitCode;
  if (error instanceof ConfigError) return 1;
  return undefined;
}

export function reportAndExit(program: string, error: unknown): never {
  const code = exitCodeFor(error);
  if (code === undefined) {
    process.stderr.write(`${program}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
  process.stderr.write(`${program}: ${(error as Error).message}\n`);
  process.exit(code);
}

/** Usage errors from commander exit 2 (contract), help and version exit 0. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  program.exitOverride();
  program.configureOutput({ outputError: (text, write) => write(text) });
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    reportAndExit(program.name(), error);
  }
}
