/** `hoop-shell mcp` driven by the MCP SDK's own client over stdio, against a real gateway. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startGateway, type TestGateway } from '../helpers/gateway.js';

let test: TestGateway;
let client: Client;
beforeAll(async () => {
  test = await startGateway();
  const token = await test.token('alice', ['dev'], { actor: 'claude-1' });
  client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [BIN.shell, 'mcp'],
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HOOP_GATEWAY: test.url, HOOP_TOKEN: token },
    }),
  );
});
afterAll(async () => {
  await client?.close();
  await test.stop();
});

type ToolText = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

describe('hoop-shell mcp', () => {
  it('offers the contract tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['approval_status', 'list_connections', 'run_command']);
    const run = tools.find((tool) => tool.name === 'run_command')!;
    expect(Object.keys(run.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['connection', 'command']));
  });

  it('lists connections', async () => {
    const result = (await client.callTool({ name: 'list_connections', arguments: {} })) as ToolText;
    expect(result.content[0]!.text).toBe('shell (command)');
  });

  it('runs a command through the gateway as the engineer via the agent', async () => {
    const result = (await client.callTool({ name: 'run_command', arguments: { connection: 'shell', command: 'echo $HOOP_USER; exit 3' } })) as ToolText;
    expect(result.content[0]!.text).toBe('alice\n[exit code 3]');
    expect(result.structuredContent).toMatchObject({ decision: 'allow', exitCode: 3, output: 'alice\n' });
    const sessions = test.gateway.store.listSessions({});
    expect(sessions[0]).toMatchObject({ user: 'alice', actor: 'claude-1', connection: 'shell' });
  });

  it('runs several commands in order in one session', async () => {
    const results = await Promise.all(
      [1, 2, 3].map((n) => client.callTool({ name: 'run_command', arguments: { connection: 'shell', command: `echo ${n}` } }) as Promise<ToolText>),
    );
    expect(results.map((result) => result.structuredContent?.output)).toEqual(['1\n', '2\n', '3\n']);
  });

  it('answers an unknown connection with an error result, not a crash', async () => {
    const result = (await client.callTool({ name: 'run_command', arguments: { connection: 'prod', command: 'ls' } })) as ToolText;
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toMatch(/unknown connection "prod"/);
  });
});
