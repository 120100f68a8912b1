/**
 * Every limit of the gateway in one place, with its default and why. Config may override the
 * ones under `limits:`; the others are protocol facts.
 */
export const Limits = {
  /** Largest WebSocket message the gateway accepts from a client (control or data). */
  maxFrameBytes: 1024 * 1024,
  /** Bytes queued towards a slow client before the program's output is paused. */
  outputHighWaterBytes: 1024 * 1024,
  /** Paused output resumes once the queue has drained below this. */
  outputLowWaterBytes: 256 * 1024,
  /**
   * Output accepted by the recorder and not yet on disk before the program is paused, and where it
   * resumes. Wider than the client's window: the recorder answers in batches of a few hundred KB,
   * and a 1 MB window paused a fast program every few batches while the disk kept up.
   */
  recordingHighWaterBytes: 4 * 1024 * 1024,
  recordingLowWaterBytes: 1024 * 1024,
  /**
   * Output waiting for the command gate's screen model (a thread shared by all sessions) before
   * the program is paused, and where it resumes: small, so many sessions cannot pile up output
   * there faster than the thread parses it.
   */
  screenHighWaterBytes: 256 * 1024,
  screenLowWaterBytes: 64 * 1024,
  /** Largest pty size a client may ask for; bigger requests are clamped. */
  maxCols: 1000,
  maxRows: 1000,
  /** Time a session's program gets to exit after SIGHUP on gateway shutdown, before SIGKILL. */
  shutdownGraceMs: 2000,
  /** Upper bound for a token the gateway mints itself. */
  maxTokenTtlSeconds: 30 * 24 * 3600,
} as const;
