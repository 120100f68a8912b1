/**
 * A Kubernetes API request as policy sees it (API layer). The kube proxy builds these; the policy
 * module decides on them. Shared by both so neither depends on the other's internals.
 */
import type { Identity } from '../auth/identity.js';
import type { CommandDecision } from '../session/session.js';

export interface ApiRequestFacts {
  sessionId: string;
  connection: string;
  identity: Identity;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** Plural resource name (`pods`), with `apiGroup` for non-core groups (`apps`). */
  resource: string;
  apiGroup: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Parsed JSON body of writes (for `privileged` and manifest checks), when there is one. */
  body?: unknown;
  /** One line for approvers and audit: `DELETE /api/v1/namespaces/default/pods/web-1`. */
  description: string;
}

/** Decides an API request; may wait for approval. Resolves to allow or deny, never review. */
export type ApiAuthorizer = (facts: ApiRequestFacts) => Promise<CommandDecision>;
