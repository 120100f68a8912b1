/**
 * What policy decides on: who asks, on which connection, and what the request does — a Kubernetes
 * operation (from a kubectl argv, a shell line or an API request) or a program invocation (a
 * simple command of a shell line). Plain data; builders live in their own modules.
 */

/** One word of a command. `dynamic`: its value is only known when the shell expands it. */
export interface CommandWord {
  text: string;
  dynamic: boolean;
}

export interface CommandFacts {
  /** The program as written (`rm`, `/bin/rm`); matched by its base name. */
  program: string;
  args: CommandWord[];
}

/** All namespaces (`-A`): matches any `namespaces` rule. */
export const ANY_NAMESPACE = '*';

export interface KubeFacts {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /**
   * Canonical resource key (`pods`, `deployments.apps`). Undefined when only the API layer can
   * know it (a manifest from `-f`): rules that name resources then do not match at this layer.
   */
  resource?: string;
  subresource?: string;
  /** The namespace, ANY_NAMESPACE for `-A`, undefined for cluster-scoped requests. */
  namespace?: string;
  /** Object names; undefined when unknown (selectors, `--all`): then any `names` rule may match. */
  names?: string[];
  privileged?: boolean;
  /** Why `privileged` is true (for approvers and `policy explain`). */
  privilegedWhy?: string;
}

export interface PolicyFacts {
  connection: string;
  user: string;
  groups: readonly string[];
  actor?: string;
  kube?: KubeFacts;
  command?: CommandFacts;
}
