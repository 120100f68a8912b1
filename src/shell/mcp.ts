/**
 * `hoop-shell mcp`: an MCP server on stdio that lets an AI agent use the gateway with its own
 * (agent) token — the same policy, approvals, masking and audit as every other path. It never
 * runs anything itself: every command goes to the gateway as a structured run.
 * Tools (names are a contract): list_connections, run_command, approval_status.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { ClientError } from '../client/errors.js';
import type { Gateway } from '../client/gateway.js';
import type { ClientSession, RunResult } from '../client/session.js';
import type { ServerMessage } from '../protocol/messages.js';

type HeldMessage = Extract<ServerMessage, { type: 'held' }>;

/** Output returned to the model is capped; the recording and audit have all of it. */
const MAX_OUTPUT_CHARS = 64 * 1024;

interface HeldRun {
  connection: string;
  command: string;
  result: Promise<RunResult>;
  settled?: RunResult;
  failed?: string;
}

type ToolResult = { content: { type: 'text'; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

function text(body: string, structured?: Record<string, unknown>, isError = false): ToolResult {
  return { content: [{ type: 'text', text: body }], ...(structured ? { structuredContent: structured } : {}), ...(isError ? { isError } : {}) };
}

function describeResult(command: string, result: RunResult): ToolResult {
  const output = result.output ?? '';
  const shown = output.length > MAX_OUTPUT_CHARS ? `${output.slice(0, MAX_OUTPUT_CHARS)}\n[… ${output.length - MAX_OUTPUT_CHARS} more characters not shown]` : output;
  const structured = {
    decision: result.decision,
    ...(result.approval ? { approval: result.approval } : {}),
    ...(result.approvedBy ? { approvedBy: result.approvedBy } : {}),
    exitCode: result.exitCode,
    output: shown,
  };
  if (result.decision === 'deny') {
    const by = result.deniedBy ? ` by ${result.deniedBy}` : '';
    return text(`denied${by}: ${result.reason ?? 'refused by policy'} (\`${command}\` did not run; exit 77)`, structured, true);
  }
  const approved = result.approvedBy?.length ? ` (approved by ${result.approvedBy.join(', ')})` : '';
  return text(`${shown}${shown.endsWith('\n') || !shown ? '' : '\n'}[exit code ${result.exitCode}${approved}]`, structured, result.exitCode !== 0);
}

export class McpBridge {
  readonly #gateway: Gateway;
  readonly #sessions = new Map<string, Promise<ClientSession>>();
  readonly #held = new Map<string, HeldRun>();

  constructor(gateway: Gateway) {
    this.#gateway = gateway;
  }

  /** One runs-session per connection, kept open (and reattached) so held commands can finish. */
  #session(connection: string): Promise<ClientSession> {
    let session = this.#sessions.get(connection);
    if (!session) {
      session = this.#gateway.openSession({ connection, reattach: true });
      this.#sessions.set(connection, session);
      session.then(
        (opened) => opened.once('close', () => this.#sessions.delete(connection)),
        () => this.#sessions.delete(connection),
      );
    }
    return session;
  }

  async listConnections(): Promise<ToolResult> {
    const connections = await this.#gateway.connections();
    const lines = connections.map((c) => `${c.name} (${c.type})`).join('\n');
    return text(lines || 'no connections', { connections });
  }

  async runCommand(args: { connection: string; command: string; waitSeconds?: number }): Promise<ToolResult> {
    const session = await this.#session(args.connection);
    const handle = session.run(args.command, { collect: true });
    const held = new Promise<HeldMessage>((resolve) => {
      const onHeld = (message: HeldMessage): void => {
        if (message.id !== handle.id) return;
        session.off('held', onHeld);
        resolve(message);
      };
      session.on('held', onHeld);
      void handle.result.finally(() => session.off('held', onHeld)).catch(() => {});
    });
    const first = await Promise.race([handle.result.then((result) => ({ result })), held.then((message) => ({ held: message }))]);
    if ('result' in first) return describeResult(args.command, first.result);

    const { approval, rule, needs } = first.held;
    const entry: HeldRun = { connection: args.connection, command: args.command, result: handle.result };
    handle.result.then(
      (result) => (entry.settled = result),
      (error: Error) => (entry.failed = error.message),
    );
    this.#held.set(approval, entry);
    const waited = await this.#waitFor(entry, args.waitSeconds ?? 0);
    if (waited) return waited;
    return text(
      `waiting for approval ${approval}: \`${args.command}\` is held by rule "${rule}" (needs ${needs}). Call approval_status with id "${approval}" (and waitSeconds) to follow it; it runs as soon as it is approved.`,
      { decision: 'review', approval, status: 'pending', rule, needs },
    );
  }

  async #waitFor(entry: HeldRun, seconds: number): Promise<ToolResult | undefined> {
    if (!entry.settled && !entry.failed && seconds > 0) {
      await Promise.race([entry.result.catch(() => {}), new Promise((resolve) => setTimeout(resolve, seconds * 1000).unref())]);
    }
    if (entry.settled) return describeResult(entry.command, entry.settled);
    if (entry.failed) return text(`the held command failed: ${entry.failed}`, { status: 'failed' }, true);
    return undefined;
  }

  async approvalStatus(args: { id: string; waitSeconds?: number }): Promise<ToolResult> {
    const entry = this.#held.get(args.id);
    if (entry) {
      const done = await this.#waitFor(entry, args.waitSeconds ?? 0);
      return done ?? text(`approval ${args.id} is still pending for \`${entry.command}\``, { approval: args.id, status: 'pending' });
    }
    try {
      const approval = await this.#gateway.request<Record<string, unknown>>('GET', `/v1/approvals/${encodeURIComponent(args.id)}`);
      return text(`approval ${args.id}: ${String(approval.status)}`, approval);
    } catch (error) {
      if (error instanceof ClientError) return text(`no approval ${args.id}: ${error.message}`, undefined, true);
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map(async (session) => (await session.catch(() => undefined))?.close()));
  }
}

export function buildMcpServer(bridge: McpBridge): McpServer {
  const server = new McpServer({ name: 'hoop-shell', version: '0.1.0' });
  const guard = (work: () => Promise<ToolResult>) => work().catch((error: unknown) => text(error instanceof Error ? error.message : String(error), undefined, true));
  server.registerTool(
    'list_connections',
    { description: 'List the gateway connections this agent may use (kubernetes clusters, shells).', inputSchema: {} },
    () => guard(() => bridge.listConnections()),
  );
  server.registerTool(
    'run_command',
    {
      description:
        'Run one command through the hoop-shell gateway on a connection: a kubectl command on a kubernetes connection ("kubectl get pods" or "get pods"), a command line on a shell connection. Policy may run it, hold it for a human approver (you get "waiting for approval <id>"), or deny it. Output is masked.',
      inputSchema: {
        connection: z.string().min(1).describe('connection name, from list_connections'),
        command: z.string().min(1).describe('the command line'),
        waitSeconds: z.number().min(0).max(3600).optional().describe('if held for approval, wait this long for the outcome before answering (default 0)'),
      },
    },
    (args) => guard(() => bridge.runCommand(args)),
  );
  server.registerTool(
    'approval_status',
    {
      description: 'Status of a held command by approval id; with waitSeconds, waits for the outcome and returns the command output once it ran.',
      inputSchema: { id: z.string().min(1).describe('approval id from run_command'), waitSeconds: z.number().min(0).max(3600).optional() },
    },
    (args) => guard(() => bridge.approvalStatus(args)),
  );
  return server;
}

export async function runMcpServer(gateway: Gateway): Promise<void> {
  const bridge = new McpBridge(gateway);
  const server = buildMcpServer(bridge);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await bridge.close();
}
