/**
 * Many sessions at once: memory per idle session (gateway RSS growth divided by the count, the
 * gateway being a child process so its RSS is its own), then every session producing output at
 * the same time: aggregate throughput and peak gateway RSS.
 */
import type { ClientSession } from '../src/client/session.js';
import type { GatewayProcess } from './lib/gateway-process.js';
import { MB, nowMs, type Report } from './lib/report.js';
import { openGatewaySession, type GatewayTarget } from './lib/paths.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function openWithPrompt(target: GatewayTarget, connection: string): Promise<ClientSession> {
  const session = await openGatewaySession(target, connection, true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no prompt within 20 s')), 20_000);
    session.once('data', () => (clearTimeout(timer), resolve()));
  });
  return session;
}

export async function benchConcurrency(
  report: Report,
  options: { gateway: GatewayProcess; target: GatewayTarget; connection: string; sessions: number; file: string; fileBytes: number },
): Promise<void> {
  const { gateway, target, sessions: count } = options;
  const section = `${count} concurrent sessions`;
  report.heading(section);
  // Warm-up: code paths, caches and the store are touched once before the baseline.
  const warm = await Promise.all(Array.from({ length: 5 }, () => openWithPrompt(target, options.connection)));
  await Promise.all(warm.map((session) => session.close()));
  await sleep(500);
  const baseline = gateway.rss();
  const sessions: ClientSession[] = [];
  const openStart = nowMs();
  for (let i = 0; i < count; i += 20) {
    sessions.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, () => openWithPrompt(target, options.connection)))));
  }
  const openSeconds = (nowMs() - openStart) / 1000;
  await sleep(1000);
  const idle = gateway.rss();
  report.measure(section, 'gateway RSS before (after warm-up)', baseline / MB, 'MB');
  report.measure(section, `gateway RSS with ${count} idle sessions`, idle / MB, 'MB', `opened in ${openSeconds.toFixed(1)} s`);
  const perSession = (idle - baseline) / count / MB;
  report.measure(section, 'gateway memory per idle session', perSession, 'MB', 'RSS growth / sessions; programs not counted');
  report.ratio(section, 'per-idle-session memory / 2 MB budget', perSession / 2, { atMost: 1 });

  let bytes = 0;
  let peak = idle;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, gateway.rss());
    } catch {
      /* the gateway is gone; the closes below report it */
    }
  }, 50);
  const start = nowMs();
  let last = start;
  const done = sessions.map(
    (session) =>
      new Promise<void>((resolve, reject) => {
        session.on('data', (_stream, chunk) => {
          bytes += chunk.length;
          last = nowMs();
        });
        void session.closed().then(() => (session.exitMessage?.exitCode === 0 ? resolve() : reject(new Error(`a session ended with ${JSON.stringify(session.exitMessage)}`))));
      }),
  );
  for (const session of sessions) session.write(`cat ${options.file}; exit\r`);
  await Promise.all(done);
  clearInterval(sampler);
  const seconds = (last - start) / 1000;
  report.measure(section, `aggregate throughput, ${count} sessions each cat ${(options.fileBytes / MB).toFixed(0)} MB`, bytes / MB / seconds, 'MB/s', `${(bytes / MB).toFixed(0)} MB in ${seconds.toFixed(2)} s`);
  report.measure(section, 'gateway peak RSS while all sessions stream', peak / MB, 'MB', 'sampled every 50 ms');
}
