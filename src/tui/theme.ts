/**
 * Colours that read on dark and on light terminals: only the basic named colours whose
 * foreground stays legible on both (no yellow or white text, no backgrounds except inverse),
 * with meaning always carried by a symbol or word too. NO_COLOR (https://no-color.org) turns
 * every colour off; bold, dim and inverse remain.
 */
export interface Theme {
  color: boolean;
  danger?: string;
  ok?: string;
  accent?: string;
  muted?: string;
}

export function themeFor(env: NodeJS.ProcessEnv = process.env): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return { color: false };
  return { color: true, danger: 'red', ok: 'green', accent: 'magenta', muted: 'gray' };
}
