/**
 * The JSON escaper of recorded output, WebAssembly and JS alike, against JSON.stringify: every
 * escaped byte at every position of the 16-byte steps, every length of the tail, big inputs that
 * make it grow, and reuse after growing.
 */
import { describe, expect, it } from 'vitest';
import { createJsonLineEscaper } from '../../src/recorder/json-line-escaper.js';

const SUFFIX = Buffer.from('"]\n');
const expected = (text: string): string => `${JSON.stringify([0.25, 'o', text])}\n`;

describe.each([
  ['wasm', createJsonLineEscaper()],
  ['js', createJsonLineEscaper({ wasm: false })],
])('json line escaper (%s)', (engine, escape) => {
  const line = (text: string): string => Buffer.from(escape('[0.25,"o","', Buffer.from(text), SUFFIX)).toString('utf8');

  it('is the engine it says it is', () => {
    expect(escape.engine).toBe(engine);
  });

  it('escapes every byte JSON escapes, at every offset of a step, and copies the rest', () => {
    const special = [...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)), '"', '\\'];
    for (const char of [...special, '\x7f', 'é', '😀', ' ', '~']) {
      for (let offset = 0; offset < 48; offset += 1) {
        const text = `${'a'.repeat(offset)}${char}${'b'.repeat(47 - offset)}`;
        expect(line(text)).toBe(expected(text));
      }
    }
  });

  it('handles every length of a tail shorter than one step, and nothing at all', () => {
    for (let length = 0; length < 40; length += 1) {
      const text = 'x"\n\x1by'.repeat(8).slice(0, length);
      expect(line(text)).toBe(expected(text));
    }
  });

  it('grows for big inputs and stays right for small ones after', () => {
    let text = '';
    for (let index = 0; text.length < 1_500_000; index += 1) text += index % 7 === 0 ? `\x1b[3${index % 8}m"${index}"\\\r\n` : `line ${index} é 日本 😀 ${'z'.repeat(index % 90)}\t`;
    expect(line(text)).toBe(expected(text));
    const everything = Array.from({ length: 0x800 }, (_, code) => String.fromCharCode(code)).join('');
    expect(line(everything)).toBe(expected(everything));
    expect(line('small "one"')).toBe(expected('small "one"'));
  });
});
