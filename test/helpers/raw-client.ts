/** A raw WebSocket client speaking protocol v1, as an agent with only a WebSocket library would. */
import WebSocket from 'ws';

export interface RawClient {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  output: Buffer[];
  send(message: unknown): void;
  sendRaw(data: string | Buffer, binary?: boolean): void;
  next(predicate: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  text(): string;
  closed: Promise<{ code: number; reason: string }>;
}

export async function rawClient(url: string, token: string): Promise<RawClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, 'hoop.v1', { headers: { authorization: `Bearer ${token}` } });
  const messages: Record<string, unknown>[] = [];
  const output: Buffer[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) output.push(data.subarray(1));
    else messages.push(JSON.parse(data.toString()));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client: RawClient = {
    ws,
    messages,
    output,
    closed,
    send: (message) => ws.send(JSON.stringify(message)),
    sendRaw: (data, binary = false) => ws.send(data, { binary }),
    text: () => Buffer.concat(output).toString(),
    next: (predicate, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        let seen = 0;
        const timer = setTimeout(() => reject(new Error(`no matching message; got ${JSON.stringify(messages)}`)), timeoutMs);
        const check = (): void => {
          for (; seen < messages.length; seen++) {
            if (predicate(messages[seen]!)) {
              clearTimeout(timer);
              const found = messages[seen]!;
              messages.splice(seen, 1);
              return resolve(found);
            }
          }
          waiters.push(check);
        };
        check();
      }),
  };
  await client.next((m) => m.type === 'hello');
  return client;
}
