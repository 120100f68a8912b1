/**
 * The one format of recording markers (`m` events), shared by the session, approvals and the
 * replay views. A command marker is `$ COMMAND` with an optional status in brackets:
 *   `$ kubectl get pods`                       ran (allowed)
 *   `$ kubectl delete pod web-1 [held 3f2a]`   held for approval 3f2a
 *   `$ kubectl delete pod web-1 [approved by bob]`
 *   `$ kubectl delete secret x [denied: never touch kube-system secrets]`
 * Anything else is a session event (`session failed: masker failure`, `terminated by bob: …`).
 * This module only formats and parses labels: it never sees output.
 */

export type ParsedMarker = { kind: 'command'; command: string; status?: string } | { kind: 'event'; label: string };

/** `$ COMMAND` or `$ COMMAND [STATUS]`; newlines are flattened so a label stays one line. */
export function commandMarker(command: string, status?: string): string {
  const flat = command.replace(/\s*[\r\n]+\s*/g, ' ');
  return status ? `$ ${flat} [${status.replace(/[\r\n]+/g, ' ')}]` : `$ ${flat}`;
}

export function parseMarker(label: string): ParsedMarker {
  if (!label.startsWith('$ ')) return { kind: 'event', label };
  const body = label.slice(2);
  const status = /^(.*) \[([^[\]]*(?:\[[^\]]*\][^[\]]*)*)\]$/.exec(body);
  return status ? { kind: 'command', command: status[1]!, status: status[2]! } : { kind: 'command', command: body };
}
