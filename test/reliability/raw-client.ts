/**
 * A bare WebSocket client of the gateway for reliability tests: no client library in between, so
 * tests control reading (pause), framing and exactly what is sent.
 */
import WebSocket from 'ws';

export interface RawMessage {
  type: string;
  [key: string]: unknown;
}

export interface RawClient {
  ws: WebSocket;
  /** Every control message received so far, in order. */
  messages: RawMessage[];
  /** Resolves with the first control message (from now on or already seen) matching. */
  waitFor(predicate: (message: RawMessage) => boolean, timeoutMs?: number): Promise<RawMessage>;
  onData(listener: (stream: number, payload: Buffer) => void): void;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

export function connectRaw(url: string, token: string): Promise<RawClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const messages: RawMessage[] = [];
  const waiters: { predicate: (message: RawMessage) => boolean; resolve: (message: RawMessage) => void }[] = [];
  const dataListeners: ((stream: number, payload: Buffer) => void)[] = [];
  const early: [number, Buffer][] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      // Output that arrives before anyone listens (the first prompt) is kept for the first listener.
      if (dataListeners.length === 0) early.push([data[0]!, data.subarray(1)]);
      for (const listener of dataListeners) listener(data[0]!, data.subarray(1));
      return;
    }
    const message = JSON.parse(data.toString()) as RawMessage;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const client: RawClient = {
    ws,
    messages,
    closed,
    onData: (listener) => {
      dataListeners.push(listener);
      if (dataListeners.length === 1) for (const [stream, payload] of early.splice(0)) listener(stream, payload);
    },
    send: (message) => ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message)),
    waitFor(predicate, timeoutMs = 15_000) {
      const seen = messages.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; saw ${JSON.stringify(messages.slice(-5))}`)), timeoutMs);
        waiters.push({ predicate, resolve: (message) => (clearTimeout(timer), resolve(message)) });
        void closed.then(({ code, reason }) => {
          clearTimeout(timer);
          reject(new Error(`socket closed (${code} ${reason}) while waiting; saw ${JSON.stringify(messages.slice(-5))}`));
        });
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

/** Opens a session on a fresh socket and waits for the `session` message. */
export async function openRaw(url: string, token: string, open: Record<string, unknown>): Promise<RawClient & { sessionId: string }> {
  const client = await connectRaw(url, token);
  client.send({ type: 'open', ...open });
  const session = await client.waitFor((message) => message.type === 'session' || (message.type === 'error' && message.fatal === true));
  if (session.type !== 'session') throw new Error(`open failed: ${JSON.stringify(session)}`);
  return Object.assign(client, { sessionId: session.id as string });
}

/** Pids of processes whose environment names this session (HOOP_SESSION). */
export async function sessionPids(sessionId: string): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`HOOP_SESSION=${sessionId}`)) pids.push(Number(entry));
    } catch {
      /* gone or not ours */
    }
  }
  return pids;
}

export function pollUntil<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = async (): Promise<void> => {
      try {
        const value = await probe();
        if (value !== undefined) return resolve(value);
      } catch (error) {
        if (Date.now() > deadline) return reject(error);
      }
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void tick(), 25);
    };
    void tick();
  });
}
