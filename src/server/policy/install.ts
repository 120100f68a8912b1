/**
 * Wires policy and approvals into a gateway: the run hook (broker and command runs), the
 * shell-mode command gate, the Kubernetes API authorizer, the approvals API and live push.
 * Holds are where the layers meet: a held command waits here, the requester is told, the
 * recording gets a marker at every step, and an approved command's own API requests are not held
 * a second time (a grant for that session, that rule and those operations, while it runs).
 */
import { describeError } from '../../errors.js';
import type { Gateway } from '../gateway.js';
import type { CommandDecision, Session } from '../session/session.js';
import type { RunCommand } from '../connections/driver.js';
import { ApprovalStore, type ApprovalRecord } from '../approvals/approval-store.js';
import { ApprovalService, type HoldOutcome } from '../approvals/approvals.js';
import { registerApprovalRoutes } from '../approvals/routes.js';
import type { ApiRequestFacts } from './api-request.js';
import { CommandGate } from './command-gate.js';
import { PolicyDecider, type Asker, type LineDecision } from './decide.js';
import { PolicyEngine, type PolicyDecision } from './engine.js';
import type { KubeFacts } from './facts.js';
import { analyzeShellLine } from './shell-line.js';
import { parseDuration } from '../../util/duration.js';

/** The masking module may add `maskText` to the gateway; approvals then show masked commands. */
interface MaybeMasking {
  maskText?: (text: string) => string;
}

interface Grant {
  rule: string;
  approvalId: string;
  approvers: string[];
  kube: KubeFacts[];
  runId?: string;
  until: number;
}

/** How long a shell-mode approval covers the API requests of the approved line. */
const SHELL_GRANT_MS = 120_000;
const RUN_GRANT_MAX_MS = 3_600_000;

export interface PolicyRuntime {
  decider: PolicyDecider;
  approvals: ApprovalService;
}

const runtimes = new WeakMap<Gateway, PolicyRuntime>();

/** The policy runtime of a gateway (after start). */
export function policyOf(gateway: Gateway): PolicyRuntime | undefined {
  return runtimes.get(gateway);
}

export function buildDecider(policy: Gateway['config']['policy']): PolicyDecider {
  return new PolicyDecider(PolicyEngine.fromConfig(policy, parseDuration), policy.unparsable);
}

export function installPolicy(gateway: Gateway): PolicyRuntime {
  const decider = buildDecider(gateway.config.policy);
  decider.warmUp();
  const approvals = new ApprovalService(new ApprovalStore(gateway.store.db), gateway.events, (identity, role) => gateway.hasRole(identity, role));
  const expired = approvals.expireOrphans();
  if (expired > 0) gateway.logger.log('warn', 'approvals.expired-at-start', { count: expired });
  const runtime: PolicyRuntime = { decider, approvals };
  runtimes.set(gateway, runtime);
  registerApprovalRoutes(gateway, approvals);

  const mask = (text: string): string => (gateway as unknown as MaybeMasking).maskText?.(text) ?? text;
  const grants = new Map<string, Grant[]>();
  const currentRun = new Map<string, { runId?: string; text: string }>();
  const unparsableApprovers = gateway.config.roles.approver ?? [];

  gateway.events.on('command', (session: Session, event: { runId?: string; text: string; phase: string; decision?: string }) => {
    if (event.phase === 'received') currentRun.set(session.id, { runId: event.runId, text: event.text });
    else if (event.phase === 'finished' || (event.phase === 'decided' && event.decision === 'deny')) {
      currentRun.delete(session.id);
      const list = grants.get(session.id);
      if (list && event.runId) grants.set(session.id, list.filter((grant) => grant.runId !== event.runId));
    }
  });
  // Each approval short of `count` is a step too: a marker in the requester's recording.
  const marked = new Map<string, number>();
  gateway.events.on('approval', (record: ApprovalRecord) => {
    if (record.status !== 'pending') {
      marked.delete(record.id);
      return;
    }
    const seen = marked.get(record.id) ?? 0;
    if (record.approvals.length <= seen) return;
    marked.set(record.id, record.approvals.length);
    const latest = record.approvals.at(-1)!;
    gateway.sessions.get(record.sessionId)?.mark(`approval ${record.id}: approved by ${latest.by} (${record.approvals.length} of ${record.count})`);
  });
  gateway.events.on('session.end', (session: Session) => {
    grants.delete(session.id);
    currentRun.delete(session.id);
  });

  const approversOf = (decision: PolicyDecision): { groups: string[]; count: number } =>
    decision.rule ? (decision.rule.approvers ?? { groups: [], count: 1 }) : { groups: unparsableApprovers, count: 1 };
  const ruleName = (decision: PolicyDecision): string => decision.rule?.name ?? 'policy.unparsable';
  const timeoutOf = (decision: PolicyDecision): number => decision.rule?.timeoutSeconds ?? 15 * 60;
  const reasonOf = (decision: PolicyDecision): string =>
    decision.rule ? `denied by policy rule "${decision.rule.name}" (${decision.why.join('; ')})` : `denied by policy: ${decision.why.join('; ')}`;

  interface HoldSpec {
    session: Session;
    text: string;
    apiRequest?: string;
    layer: 'command' | 'api';
    decision: PolicyDecision;
    /** Aborted: the requester withdrew (Ctrl-C in a terminal session). */
    signal?: AbortSignal;
    /** Tells the requester (held/approved/denied messages or terminal notices). */
    tell: { held(id: string, needs: string, expiresAt: string): void; outcome(outcome: HoldOutcome): void };
  }

  /** Holds until decided; resolves allow/deny. Every step is a recording marker and an event. */
  const hold = async (spec: HoldSpec): Promise<CommandDecision> => {
    const { session, decision } = spec;
    const approvers = approversOf(decision);
    const held = approvals.hold({
      identity: session.identity,
      connection: session.connection.name,
      sessionId: session.id,
      command: spec.text,
      apiRequest: spec.apiRequest,
      layer: spec.layer,
      rule: ruleName(decision),
      why: [...decision.why],
      groups: approvers.groups,
      count: approvers.count,
      timeoutSeconds: timeoutOf(decision),
    });
    const id = held.approval.id;
    const needs = `${approvers.count} of ${approvers.groups.join('/') || '(no approver group)'}`;
    session.mark(`⏸ held for approval ${id}: ${spec.apiRequest ?? spec.text} (rule "${ruleName(decision)}", needs ${needs})`);
    spec.tell.held(id, needs, held.approval.expiresAt);
    const onEnd = (): void => held.cancel('the session ended while the command was held; it was not run');
    const onAbort = (): void => held.cancel(`withdrawn by ${session.identity.user}; it was not run`);
    session.once('end', onEnd);
    if (spec.signal?.aborted) onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const outcome = await held.outcome;
    session.off('end', onEnd);
    spec.signal?.removeEventListener('abort', onAbort);
    if (outcome.status === 'approved') session.mark(`✔ approval ${id} approved by ${outcome.by.join(', ')}`);
    else if (outcome.status === 'denied') session.mark(`✖ approval ${id} denied by ${outcome.by ?? '?'}: ${outcome.reason}`);
    else session.mark(`✖ approval ${id} expired: ${outcome.reason}`);
    spec.tell.outcome(outcome);
    if (outcome.status === 'approved') return { action: 'allow', rule: ruleName(decision), approver: outcome.by.join(', '), approvalId: id };
    if (outcome.status === 'denied') return { action: 'deny', rule: ruleName(decision), approver: outcome.by, approvalId: id, reason: outcome.reason };
    return { action: 'deny', rule: ruleName(decision), approvalId: id, reason: outcome.reason };
  };

  const addGrant = (session: Session, decision: PolicyDecision, result: CommandDecision, kube: KubeFacts[], runId?: string): void => {
    if (result.action !== 'allow' || !result.approvalId || kube.length === 0) return;
    const grant: Grant = { rule: ruleName(decision), approvalId: result.approvalId, approvers: result.approver ? [result.approver] : [], kube, runId, until: Date.now() + (runId ? RUN_GRANT_MAX_MS : SHELL_GRANT_MS) };
    grants.set(session.id, [...(grants.get(session.id) ?? []).filter((other) => other.until > Date.now()), grant]);
  };

  const decideRunCommand = (session: Session, command: RunCommand): LineDecision => {
    const asker = askerOf(session);
    if (session.connection.type === 'kubernetes') {
      if (typeof command !== 'string') return decider.kubectl(asker, command);
      const words = analyzeShellLine(command).commands.flatMap((found) => found.words.map((word) => word.text));
      return decider.kubectl(asker, words);
    }
    return decider.shellLine(asker, typeof command === 'string' ? command : command.join(' '));
  };

  // A hook set before start (a test, another module) is kept: policy only fills what is empty.
  gateway.sessionHooks.authorizeRun ??= async (session, run) => {
    try {
      return await authorizeRun(session, run);
    } catch (error) {
      // Fail closed with a reason: a broken check never runs the command, and never hangs the run.
      gateway.logger.log('error', 'policy.run-check-failed', { session: session.id, error: describeError(error) });
      return { action: 'deny', rule: 'policy error', reason: `the policy check failed: ${describeError(error)}` };
    }
  };

  const authorizeRun = async (session: Session, run: { id: string; text: string; command: RunCommand }): Promise<CommandDecision> => {
    const decision = decideRunCommand(session, run.command);
    if (decision.action === 'allow') return { action: 'allow', ...(decision.rule ? { rule: decision.rule.name } : {}) };
    if (decision.action === 'deny') return { action: 'deny', rule: ruleName(decision), reason: reasonOf(decision) };
    const result = await hold({
      session,
      text: mask(run.text),
      layer: 'command',
      decision,
      // A client may cancel a run it asked for (the session passes the signal when it supports it).
      signal: (run as { signal?: AbortSignal }).signal,
      tell: {
        held: (approval, needs, expiresAt) => session.notify({ type: 'held', id: run.id, approval, rule: ruleName(decision), needs, expiresAt }),
        outcome: (outcome) => {
          if (outcome.status === 'approved') session.notify({ type: 'approved', id: run.id, approval: outcome.approval.id, by: outcome.by });
        },
      },
    });
    addGrant(session, decision, result, decision.kube, run.id);
    return result;
  };

  gateway.sessionHooks.createInputGate ??= (session) => {
    // Shell sessions, and interactive kubectl runs of a broker session (a shell in a pod).
    if (session.mode !== 'shell' && session.mode !== 'broker') return undefined;
    const asker = askerOf(session);
    return new CommandGate({
      cols: session.size.cols,
      rows: session.size.rows,
      onResize: (listener) => session.on('resize', listener),
      decide: (line) => decider.shellLine(asker, line),
      hold: async (line, decision, signal) => {
        const result = await hold({
          session,
          signal,
          text: mask(line),
          layer: 'command',
          decision,
          tell: {
            held: (approval, needs) => session.notice(`\r\n⏸ held for approval ${approval} (rule "${ruleName(decision)}", needs ${needs}); waiting… (Ctrl-C cancels)\r\n`),
            outcome: (outcome) =>
              session.notice(
                outcome.status === 'approved'
                  ? `✔ approved by ${outcome.by.join(', ')}\r\n`
                  : outcome.status === 'denied'
                    ? `✖ denied by ${outcome.by ?? '?'}: ${outcome.reason}\r\n`
                    : `✖ ${outcome.reason}\r\n`,
              ),
          },
        });
        addGrant(session, decision, result, (decision as LineDecision).kube ?? []);
        return result;
      },
      decided: (line, outcome) =>
        session.recordTypedCommand(line, {
          action: outcome.action,
          rule: outcome.result?.rule ?? (outcome.action === 'allow' ? outcome.decision.rule?.name : ruleName(outcome.decision)),
          reason: outcome.result?.reason,
          approver: outcome.result?.approver,
          approvalId: outcome.result?.approvalId,
        }),
      refuse: (line, decision) => {
        session.mark(`✖ denied: ${mask(line)} (${reasonOf(decision)})`);
        session.notice(`\r\n✖ ${reasonOf(decision)}\r\n`);
      },
    });
  };

  gateway.apiAuthorizer ??= async (facts: ApiRequestFacts): Promise<CommandDecision> => {
    const decision = decider.api(facts);
    if (decision.action === 'allow') return { action: 'allow', ...(decision.rule ? { rule: decision.rule.name } : {}) };
    if (decision.action === 'deny') return { action: 'deny', rule: ruleName(decision), reason: reasonOf(decision) };
    const granted = (grants.get(facts.sessionId) ?? []).find((grant) => grant.until > Date.now() && grant.rule === ruleName(decision) && grant.kube.some((allowed) => covers(allowed, decision.kube)));
    if (granted) return { action: 'allow', rule: granted.rule, approvalId: granted.approvalId, approver: granted.approvers.join(', ') };
    const session = gateway.sessions.get(facts.sessionId);
    if (!session) return { action: 'deny', rule: ruleName(decision), reason: 'the session is gone; a held request needs a live session' };
    const running = currentRun.get(session.id);
    return hold({
      session,
      text: mask(running?.text ?? facts.description),
      apiRequest: facts.description,
      layer: 'api',
      decision,
      tell: {
        held: (approval, needs, expiresAt) => {
          if (running?.runId) session.notify({ type: 'held', id: running.runId, approval, rule: ruleName(decision), needs, expiresAt });
          else session.notice(`\r\n⏸ held for approval ${approval}: ${facts.description} (rule "${ruleName(decision)}", needs ${needs})\r\n`);
        },
        outcome: (outcome) => {
          if (running?.runId) {
            if (outcome.status === 'approved') session.notify({ type: 'approved', id: running.runId, approval: outcome.approval.id, by: outcome.by });
            else session.notify({ type: 'denied', id: running.runId, approval: outcome.approval.id, rule: ruleName(decision), ...(outcome.status === 'denied' && outcome.by ? { by: outcome.by } : {}), reason: outcome.reason });
          } else session.notice(outcome.status === 'approved' ? `✔ approved by ${outcome.by.join(', ')}\r\n` : `✖ ${outcome.status === 'denied' ? `denied by ${outcome.by}: ` : ''}${outcome.reason}\r\n`);
        },
      },
    });
  };

  return runtime;
}

function askerOf(session: Session): Asker {
  const cluster = session.connection.type === 'command' ? session.connection.kubernetes : undefined;
  return { identity: session.identity, connection: session.connection.name, ...(cluster ? { cluster } : {}) };
}

/** Whether an approved operation covers an API request (same verb family, resource, names). */
function covers(approved: KubeFacts, request: KubeFacts): boolean {
  const verbOk = approved.verb === request.verb || (approved.verb === 'delete' && request.verb === 'deletecollection');
  if (!verbOk) return false;
  if (approved.resource !== undefined && approved.resource !== request.resource) return false;
  if ((approved.subresource ?? '') !== (request.subresource ?? '') && approved.resource !== undefined) return false;
  if (approved.names && approved.names.length > 0 && request.names && request.names.length > 0) {
    return request.names.every((name) => approved.names!.includes(name));
  }
  return true;
}
