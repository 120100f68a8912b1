/**
 * Wires audit into a gateway (one call in Gateway.start): the hash-chained audit log on the event
 * feed, crash sealing of interrupted recordings, retention, the replay link in `exit`, and the
 * audit/replay routes. It adds; it never changes how sessions run.
 */
import type { Gateway } from '../gateway.js';
import { AuditChain } from './audit-chain.js';
import { AuditLog } from './audit-log.js';
import { RecordingRetention } from './retention.js';
import { registerAuditRoutes, registerReplayRoutes } from './routes.js';

/** How often retention runs after the sweep at start. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

export interface AuditServices {
  chain: AuditChain;
  log: AuditLog;
  retention: RecordingRetention;
}

export function installAudit(gateway: Gateway): AuditServices {
  const chain = new AuditChain(gateway.store.db, gateway.recordingsDir);
  const log = new AuditLog(chain, gateway.logger);
  log.subscribe(gateway.events);
  const sealed = log.sealInterrupted(gateway.store);
  if (sealed > 0) gateway.logger.log('warn', 'audit.sealed-interrupted', { count: sealed });
  const retention = new RecordingRetention(gateway.config.recording.retention, gateway.store, log, gateway.logger);
  if (retention.enabled) {
    retention.sweep();
    const timer = setInterval(() => {
      if (!gateway.store.db.open) return clearInterval(timer);
      retention.sweep();
    }, RETENTION_INTERVAL_MS);
    timer.unref();
  }
  gateway.sessionHooks.replayLink = (session) => `${gateway.url}/replay/${session.id}`;
  registerAuditRoutes(gateway, chain);
  registerReplayRoutes(gateway, chain);
  return { chain, log, retention };
}
