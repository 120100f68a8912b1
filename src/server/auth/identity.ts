/** Who is behind a request: the engineer (`user`), their groups, and the agent acting for them. */
export interface Identity {
  user: string;
  groups: string[];
  /** The agent acting for `user` (`act.sub` of the token), if any. */
  actor?: string;
  /** Connections this token is limited to (agent tokens); undefined means no limit. */
  connections?: string[];
  issuer: string;
  /** Token id (`jti`), when the token has one. */
  tokenId?: string;
  expiresAt?: number;
}

/** "alice" or "alice via agent claude-1": the one way a person and their agent are shown. */
export function describeIdentity(identity: Pick<Identity, 'user' | 'actor'>): string {
  return identity.actor ? `${identity.user} via agent ${identity.actor}` : identity.user;
}
