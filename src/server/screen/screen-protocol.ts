/** Messages between ScreenModel (the gateway's main thread) and the screen worker. */

/** A cell on the screen model: x is the column, y the row counted from the top of the scrollback. */
export interface ScreenPosition {
  x: number;
  y: number;
}

export type ScreenRequest =
  | { t: 'open'; id: number; cols: number; rows: number }
  /** Output: the first `length` bytes of `data` (a buffer moved to the worker and given back). */
  | { t: 'write'; id: number; data: ArrayBuffer; length: number }
  | { t: 'resize'; id: number; cols: number; rows: number }
  | { t: 'close'; id: number }
  | { t: 'cursor'; id: number; req: number }
  | { t: 'line'; id: number; req: number; start: ScreenPosition }
  | { t: 'sync'; id: number; req: number };

export type ScreenReply =
  /** A write of `bytes` is on the screen model now; its buffer comes back for the next write. */
  | { t: 'written'; id: number; bytes: number; data: ArrayBuffer }
  | { t: 'answer'; req: number; position?: ScreenPosition; line?: string; error?: string };
