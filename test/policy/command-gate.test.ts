/** The CommandGate on its own: keystrokes and an echo the test controls, decisions recorded. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { LineDecision } from '../../src/server/policy/decide.js';
import { CommandGate } from '../../src/server/policy/command-gate.js';
import { buildDecider } from '../../src/server/policy/install.js';
import { stopScreenWorkers } from '../../src/server/screen/screen-model.js';

const decider = buildDecider(parseConfig({ policy: { rules: [{ name: 'rm', match: { commands: ['rm -r'] }, action: 'review', approvers: { groups: ['oncall'] } }] } }, 'test').policy);
const asker = { identity: { user: 'alice', groups: ['dev'], issuer: 'test' }, connection: 'shell' };

function harness() {
  const forwarded: string[] = [];
  const held: string[] = [];
  const refused: string[] = [];
  const gate = new CommandGate({
    decide: (line) => decider.shellLine(asker, line),
    hold: async (line: string, _decision: LineDecision) => {
      held.push(line);
      return { action: 'deny', reason: 'test' };
    },
    refuse: (_line, decision) => refused.push(decision.why.join('; ')),
    echoWaitMs: 100,
    quietMs: 10,
  });
  gate.observeOutput(Buffer.from('$ '));
  const type = (text: string, echo = text): void => {
    gate.input(Buffer.from(text), (data) => forwarded.push(data.toString()));
    gate.observeOutput(Buffer.from(echo));
  };
  /** Presses Enter and waits for the gate's answer: the Enter forwarded, the line cancelled or held. */
  const enter = async (): Promise<void> => {
    gate.input(Buffer.from('\r'), (data) => forwarded.push(data.toString()));
    const deadline = Date.now() + 10_000;
    while (!/[\r\x03]/.test(forwarded.join('')) && held.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { gate, forwarded, held, refused, type, enter };
}

describe('CommandGate', () => {
  it('an echo that makes a typed line look unfinished does not let it through unchecked', async () => {
    const { gate, forwarded, held, type, enter } = harness();
    type('rm -rf /x', "rm -rf /x'"); // the program's output adds an open quote
    await enter();
    expect(held).toEqual(['rm -rf /x']);
    expect(forwarded.join('')).not.toContain('\r');
    gate.dispose();
  });

  it('a screen line that differs from the keystrokes is checked too (the strictest wins)', async () => {
    const { gate, forwarded, held, type, enter } = harness();
    type('ls /x', 'rm -r /x'); // what the shell shows is what it will run
    await enter();
    expect(held).toEqual(['rm -r /x']);
    expect(forwarded.join('')).toBe('ls /x\x03');
    gate.dispose();
  });

  it('an allowed line goes through with its Enter', async () => {
    const { gate, forwarded, held, type, enter } = harness();
    type('echo ok');
    await enter();
    expect(held).toEqual([]);
    expect(forwarded.join('')).toBe('echo ok\r');
    gate.dispose();
  });

  it('reads a line typed after a big output (the screen model skips what scrolled away)', async () => {
    const { gate, forwarded, held, type, enter } = harness();
    const log = Array.from({ length: 5000 }, (_, i) => `2026-11-29T01:00:00Z INFO request ${i} status=200`).join('\r\n');
    for (let at = 0; at < log.length; at += 64 * 1024) gate.observeOutput(Buffer.from(log.slice(at, at + 64 * 1024)));
    gate.observeOutput(Buffer.from('\r\n$ '));
    // History recall: the keystrokes can't tell the line, only the screen can.
    type('\x1b[A', 'rm -r /data');
    await enter();
    expect(held).toEqual(['rm -r /data']);
    expect(forwarded.join('')).not.toContain('\r');
    gate.dispose();
  });

  it('fails closed when the screen model is gone: the line is cancelled, never run', async () => {
    const { gate, forwarded, held, refused, type, enter } = harness();
    type('echo ok');
    await stopScreenWorkers();
    await enter();
    expect(held).toEqual([]);
    expect(forwarded.join('')).toBe('echo ok\x03');
    expect(refused).toEqual([expect.stringMatching(/^the command gate failed \(.*screen.*\); the line was cancelled$/)]);
    gate.dispose();
  });
});
