/**
 * Key bindings as data: every command hoop-tui understands, its default keys, where it applies
 * and what it does. The footer, the help screen and the input handlers are all built from this
 * table, so a key can never work without being documented (test/tui/bindings.test.ts).
 * It never performs a command itself: it only maps a keypress to a command id.
 */
import type { Key } from 'ink';

export type Screen = 'approvals' | 'details' | 'sessions' | 'watch' | 'history';

export const Command = {
  Help: 'app.help',
  Quit: 'app.quit',
  ShowApprovals: 'view.approvals',
  ShowSessions: 'view.sessions',
  ShowHistory: 'view.history',
  NextView: 'view.next',
  Up: 'list.up',
  Down: 'list.down',
  Open: 'item.open',
  Back: 'item.back',
  Approve: 'approval.approve',
  Deny: 'approval.deny',
  ToggleDecided: 'approval.toggleDecided',
  Watch: 'session.watch',
  Terminate: 'session.terminate',
  Refresh: 'history.refresh',
} as const;
export type CommandId = (typeof Command)[keyof typeof Command];

/** One key: a printable character, or a named key from Ink's `Key`, optionally with Ctrl. */
export interface KeySpec {
  input?: string;
  name?: 'return' | 'escape' | 'tab' | 'upArrow' | 'downArrow' | 'pageUp' | 'pageDown';
  ctrl?: boolean;
}

export interface Binding {
  command: CommandId;
  keys: KeySpec[];
  description: string;
  /** Screens where it applies; 'global' works everywhere (outside a text prompt). */
  scopes: (Screen | 'global')[];
  /** Shown in the footer (the most used ones); every binding is in the help screen. */
  footer?: boolean;
}

export const bindings: readonly Binding[] = [
  { command: Command.Help, keys: [{ input: '?' }], description: 'show or hide this help', scopes: ['global'], footer: true },
  { command: Command.Quit, keys: [{ input: 'q' }, { input: 'c', ctrl: true }], description: 'quit hoop-tui', scopes: ['global'], footer: true },
  { command: Command.ShowApprovals, keys: [{ input: '1' }], description: 'approvals queue', scopes: ['global'] },
  { command: Command.ShowSessions, keys: [{ input: '2' }], description: 'live sessions', scopes: ['global'] },
  { command: Command.ShowHistory, keys: [{ input: '3' }], description: 'history of recent commands', scopes: ['global'] },
  { command: Command.NextView, keys: [{ name: 'tab' }], description: 'next view (approvals → sessions → history)', scopes: ['global'], footer: true },
  { command: Command.Up, keys: [{ name: 'upArrow' }, { input: 'k' }], description: 'move up', scopes: ['approvals', 'sessions', 'history'] },
  { command: Command.Down, keys: [{ name: 'downArrow' }, { input: 'j' }], description: 'move down', scopes: ['approvals', 'sessions', 'history'] },
  { command: Command.Open, keys: [{ name: 'return' }], description: 'open: approval details, watch a session, a command\'s replay link', scopes: ['approvals', 'sessions', 'history'], footer: true },
  { command: Command.Back, keys: [{ name: 'escape' }], description: 'back to the list', scopes: ['details', 'watch', 'history'], footer: true },
  { command: Command.Approve, keys: [{ input: 'a' }], description: 'approve the selected request (optional reason)', scopes: ['approvals', 'details'], footer: true },
  { command: Command.Deny, keys: [{ input: 'd' }], description: 'deny the selected request (reason required)', scopes: ['approvals', 'details'], footer: true },
  { command: Command.ToggleDecided, keys: [{ input: 'v' }], description: 'show or hide decided requests', scopes: ['approvals'] },
  { command: Command.Watch, keys: [{ input: 'w' }], description: 'watch the selected session live', scopes: ['sessions', 'details'], footer: true },
  { command: Command.Terminate, keys: [{ input: 'x' }], description: 'terminate the session (asks to confirm)', scopes: ['sessions', 'watch'], footer: true },
  { command: Command.Refresh, keys: [{ input: 'r' }], description: 'reload the history', scopes: ['history'] },
];

export function keyMatches(spec: KeySpec, input: string, key: Key): boolean {
  if (spec.ctrl && !key.ctrl) return false;
  if (!spec.ctrl && key.ctrl) return false;
  if (spec.name) return Boolean(key[spec.name]);
  return spec.input !== undefined && input === spec.input && !key.meta;
}

/** The command a keypress means on a screen, if any. Screen bindings win over global ones. */
export function commandFor(screen: Screen, input: string, key: Key): CommandId | undefined {
  const candidates = bindings.filter((binding) => binding.keys.some((spec) => keyMatches(spec, input, key)));
  return (candidates.find((binding) => binding.scopes.includes(screen)) ?? candidates.find((binding) => binding.scopes.includes('global')))?.command;
}

export function keyLabel(spec: KeySpec): string {
  const names: Record<NonNullable<KeySpec['name']>, string> = { return: 'Enter', escape: 'Esc', tab: 'Tab', upArrow: '↑', downArrow: '↓', pageUp: 'PgUp', pageDown: 'PgDn' };
  const base = spec.name ? names[spec.name] : spec.input!;
  return spec.ctrl ? `Ctrl-${base.toUpperCase()}` : base;
}

/** Bindings that apply on a screen, screen-specific first. */
export function bindingsFor(screen: Screen): Binding[] {
  return [...bindings.filter((b) => b.scopes.includes(screen)), ...bindings.filter((b) => b.scopes.includes('global'))];
}
