import { describe, expect, it } from 'vitest';
import { Command, bindings, bindingsFor, commandFor, keyLabel } from '../../src/tui/key/bindings.js';

const noKey = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false };

describe('key bindings table', () => {
  it('gives every command at least one key, a description and a scope', () => {
    const commands = Object.values(Command);
    for (const command of commands) {
      const binding = bindings.find((b) => b.command === command);
      expect(binding, `command ${command} has no binding`).toBeDefined();
      expect(binding!.keys.length, `command ${command} has no key`).toBeGreaterThan(0);
      expect(binding!.description.length, `command ${command} has no description`).toBeGreaterThan(5);
      expect(binding!.scopes.length).toBeGreaterThan(0);
    }
    expect(bindings.length).toBe(commands.length);
  });

  it('never binds one key to two commands on the same screen', () => {
    for (const screen of ['approvals', 'details', 'sessions', 'watch', 'history'] as const) {
      const seen = new Map<string, string>();
      for (const binding of bindingsFor(screen)) {
        for (const spec of binding.keys) {
          const label = keyLabel(spec);
          expect(seen.get(label), `${label} on ${screen}: ${seen.get(label)} and ${binding.command}`).toBeUndefined();
          seen.set(label, binding.command);
        }
      }
    }
  });

  it('maps keys to commands per screen', () => {
    expect(commandFor('approvals', 'a', noKey)).toBe(Command.Approve);
    expect(commandFor('sessions', 'a', noKey)).toBeUndefined();
    expect(commandFor('sessions', 'x', noKey)).toBe(Command.Terminate);
    expect(commandFor('watch', '', { ...noKey, escape: true })).toBe(Command.Back);
    expect(commandFor('history', 'c', { ...noKey, ctrl: true })).toBe(Command.Quit);
    expect(commandFor('approvals', '?', noKey)).toBe(Command.Help);
  });
});
