/**
 * An agent loop through the gateway: list pods, try a delete that policy holds for a human,
 * wait for the decision, report the outcome. Run with an agent token:
 *
 *   export HOOP_TOKEN=$(hoop-shell token --agent demo-agent --ttl 30m)
 *   node dist/examples/agent.js k8s web-1
 *
 * It uses only the public client library (`import { Gateway } from 'hoop-shell'`).
 */
import { Gateway, type RunResult } from '../src/client/index.js';

const [connection = 'k8s', pod = 'web-1'] = process.argv.slice(2);
const token = process.env.HOOP_TOKEN;
if (!token) {
  process.stderr.write('agent: set HOOP_TOKEN (an agent token from `hoop-shell token --agent NAME`)\n');
  process.exit(2);
}

function report(step: string, result: RunResult): void {
  const approval = result.approval ? ` approval=${result.approval}` : '';
  const by = result.approvedBy?.length ? ` approvedBy=${result.approvedBy.join(',')}` : result.deniedBy ? ` deniedBy=${result.deniedBy}` : '';
  process.stdout.write(`[${step}] decision=${result.decision}${approval}${by} exit=${result.exitCode}\n`);
  if (result.output) process.stdout.write(result.output.replace(/^/gm, '    '));
  if (result.reason) process.stdout.write(`    reason: ${result.reason}\n`);
}

const gateway = new Gateway({ url: process.env.HOOP_GATEWAY, token });
// reattach: a dropped connection is re-established and a held command keeps waiting.
const session = await gateway.openSession({ connection, reattach: true });
session.on('held', (held) => process.stdout.write(`[held] ${held.approval}: rule "${held.rule}" needs ${held.needs}; waiting for a human…\n`));

try {
  report('list', await session.run(['get', 'pods'], { collect: true }).result);
  report('delete', await session.run(['delete', 'pod', pod], { collect: true }).result);
  report('list again', await session.run(['get', 'pods'], { collect: true }).result);
} finally {
  await session.close();
}
