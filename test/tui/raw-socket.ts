/** A raw WebSocket client for tests: every message kept, and a way to wait for one. */
import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  binary: Buffer[];
  send(message: Record<string, unknown>): void;
  /** Resolves with the first message (already received or future) that matches. */
  next(predicate: (message: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export function openSocket(url: string, token: string): Promise<RawSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, 'hoop.v1', { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const messages: Record<string, unknown>[] = [];
  const binary: Buffer[] = [];
  const waiters: { predicate: (m: Record<string, any>) => boolean; resolve: (m: Record<string, any>) => void }[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return void binary.push(data as Buffer);
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const socket: RawSocket = {
    ws,
    messages,
    binary,
    send: (message) => ws.send(JSON.stringify(message)),
    next: (predicate, timeoutMs = 5000) => {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages.slice(-5)).slice(0, 800)}`)), timeoutMs);
        waiters.push({ predicate, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('error', reject);
  });
}

/** Decoded text of every watch.output message for one session so far. */
export function watchedText(socket: RawSocket, session: string): string {
  return socket.messages
    .filter((m) => m.type === 'watch.output' && m.session === session)
    .map((m) => Buffer.from(String(m.data), 'base64').toString('utf8'))
    .join('');
}
