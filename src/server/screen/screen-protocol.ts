/** Messages between ScreenModel (the gateway's main thread) and the screen worker. */

/** A cell on the screen model: x is the column, y the row counted from the top of the scrollback. */
export interface ScreenPosition {
  x: number;
  y: number;
}

export type ScreenRequest =
  | { t: 'open'; id: number; cols: number; rows: number }
  | { t: 'write'; id: number; seq: number; data: Uint8Array }
  | { t: 'resize'; id: number; seq: number; cols: number; rows: number }
  | { t: 'close'; id: number }
  | { t: 'cursor'; id: number; req: number }
  | { t: 'line'; id: number; req: number; start: ScreenPosition }
  | { t: 'sync'; id: number; req: number };

export type ScreenReply =
  /**
   * Write `seq` (of this many bytes) is on the screen model now, which leaves the screen in a state
   * where plain output may be shortened (`shortcut`, see scrolled-lines.ts) or not.
   */
  | { t: 'written'; id: number; seq: number; bytes: number; shortcut: boolean }
  | { t: 'answer'; req: number; position?: ScreenPosition; line?: string; error?: string };
