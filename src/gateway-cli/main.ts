/** `hoop-gateway`: run the gateway (`serve`) and mint tokens from its key (`token`). */
import { Command, Option } from 'commander';
import { runProgram, UsageError } from '../cli/boundary.js';
import { loadConfig } from '../config/load.js';
import { listenSchema } from '../config/schema.js';
import { Limits } from '../limits.js';
import { mintToken } from '../server/auth/mint.js';
import { loadOrCreateSigningKey } from '../server/auth/signing-key.js';
import { Gateway } from '../server/gateway.js';
import { createLogger } from '../server/log.js';
import { parseDuration } from '../util/duration.js';
import { registerPolicyCommands } from './policy.js';

export function buildGatewayProgram(): Command {
  const program = new Command('hoop-gateway')
    .description('The hoop-shell access gateway: hosts sessions, checks every command, records everything.')
    .version('0.1.0');

  program
    .command('serve')
    .description('run the gateway (embedded defaults when no --config is given)')
    .option('--config <file>', 'YAML config file (see README "Configuration")')
    .option('--listen <host:port>', 'address to listen on (overrides config "listen")')
    .option('--data <dir>', 'data dir for the key, store and recordings (overrides config "dataDir")')
    .option('--quiet', 'log only warnings and errors')
    .action(async (options: { config?: string; listen?: string; data?: string; quiet?: boolean }) => {
      if (options.listen && !listenSchema.safeParse(options.listen).success) throw new UsageError(`--listen must be HOST:PORT, got "${options.listen}"`);
      const config = loadConfig({ file: options.config, listen: options.listen, dataDir: options.data });
      const gateway = new Gateway(config, { logger: createLogger({ quiet: options.quiet }) });
      await gateway.start();
      printNextSteps(gateway);
      let signals = 0;
      const shutdown = (signal: string): void => {
        signals += 1;
        if (signals > 1) process.exit(130);
        process.stderr.write(`hoop-gateway: ${signal}: closing ${gateway.sessions.size} session(s)…\n`);
        void gateway.stop(`gateway shutting down (${signal})`).then(() => process.exit(0));
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    });

  program
    .command('token')
    .description("mint a token signed by the gateway's own key")
    .requiredOption('--user <name>', 'the user the token names (sub)')
    .option('--groups <a,b>', 'comma-separated groups', '')
    .addOption(new Option('--ttl <duration>', 'lifetime, e.g. 30m, 1h, 7d').default('1h'))
    .option('--config <file>', 'config file (for its dataDir)')
    .option('--data <dir>', 'data dir holding the signing key')
    .action(async (options: { user: string; groups: string; ttl: string; config?: string; data?: string }) => {
      const ttl = parseDuration(options.ttl);
      if (ttl === undefined || ttl <= 0) throw new UsageError(`--ttl must be a duration such as 30m or 1h, got "${options.ttl}"`);
      if (ttl > Limits.maxTokenTtlSeconds) throw new UsageError(`--ttl may be at most 30d`);
      if (!options.user.trim()) throw new UsageError('--user must not be empty');
      const config = loadConfig({ file: options.config, dataDir: options.data });
      const key = await loadOrCreateSigningKey(config.dataDir);
      const groups = options.groups.split(',').map((group) => group.trim()).filter(Boolean);
      process.stdout.write(`${await mintToken(key, { user: options.user.trim(), groups, ttlSeconds: ttl })}\n`);
    });

  registerPolicyCommands(program);

  return program;
}

function printNextSteps(gateway: Gateway): void {
  const connections = gateway.config.connections.map((c) => `${c.name} (${c.type})`).join(', ') || 'none';
  const first = gateway.config.connections[0]?.name ?? 'shell';
  const dataFlag = gateway.config.source === 'embedded defaults' ? '' : ` --config ${gateway.config.source}`;
  process.stderr.write(
    [
      `hoop-gateway listening on ${gateway.url}`,
      `  config: ${gateway.config.source}   data: ${gateway.config.dataDir}`,
      `  connections: ${connections}`,
      '',
      'Next, in another terminal (same directory):',
      `  export HOOP_GATEWAY=${gateway.url}`,
      `  export HOOP_TOKEN=$(./bin/hoop-gateway.js token --user "$(whoami)" --groups dev${dataFlag} --data ${gateway.config.dataDir})`,
      `  ./bin/hoop-shell.js exec ${first} -- echo hi`,
      `  ./bin/hoop-shell.js connect ${first}`,
      '',
    ].join('\n'),
  );
}

export function main(argv = process.argv): Promise<void> {
  return runProgram(buildGatewayProgram(), argv);
}
