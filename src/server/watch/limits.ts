/** The watch feature's limits, each with its default and why (documented in docs/tui.md). */
export const WatchLimits = {
  /** Masked output kept per live session so a new watcher sees context at once. */
  recentOutputBytes: 64 * 1024,
  /**
   * Bytes queued on a watcher's socket past which its output is dropped (and counted, then
   * reported as skipped) instead of queued: a slow watcher must never slow the watched session.
   */
  watcherBufferBytes: 1024 * 1024,
  /** How often a backed-up watcher's socket is checked for having drained. */
  recoveryCheckMs: 50,
  /** Markers kept per live session for a new watcher. */
  recentMarkers: 20,
  /** Changes to the live-session list within this window go out as one `sessions` message. */
  sessionsCoalesceMs: 50,
  /** Longest terminate reason kept (it reaches the user's terminal and the recording). */
  maxReasonChars: 500,
} as const;
