/**
 * The byte-level encoder of output events against the reference it replaces: a streaming
 * StringDecoder per chunk and JSON.stringify per event. Every line must be exactly what
 * JSON.stringify writes for its text, and the texts together exactly what the decoder gives,
 * however the bytes are split (quotes, backslashes, every control character, invalid UTF-8,
 * characters split across chunks, emoji).
 */
import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { createJsonLineEscaper, type JsonLineEscaper } from '../../src/recorder/json-line-escaper.js';
import { createOutputEventEncoder } from '../../src/recorder/output-event-encoder.js';

// One of each, shared like in the recording thread (the tests also check that reuse is safe).
const escapers = { wasm: createJsonLineEscaper(), js: createJsonLineEscaper({ wasm: false }) };

function reference(chunks: Uint8Array[]): string {
  const decoder = new StringDecoder('utf8');
  return chunks.map((chunk) => decoder.write(Buffer.from(chunk))).join('') + decoder.end();
}

/** Encodes the chunks; checks each line against JSON.stringify; returns the recorded text. */
function encode(chunks: Uint8Array[], escape: JsonLineEscaper = escapers.wasm): string {
  const encoder = createOutputEventEncoder(escape, isUtf8);
  const lines: string[] = [];
  chunks.forEach((chunk, index) => {
    const line = encoder.encode(chunk, index / 1000);
    if (line) lines.push(Buffer.from(line).toString('utf8'));
  });
  const last = encoder.end(chunks.length / 1000);
  if (last) lines.push(Buffer.from(last).toString('utf8'));
  let text = '';
  for (const line of lines) {
    expect(line.endsWith('\n')).toBe(true);
    const event = JSON.parse(line) as [number, string, string];
    expect(event[1]).toBe('o');
    // Byte for byte what the JSON.stringify encoder wrote for the same event.
    expect(line).toBe(`${JSON.stringify(event)}\n`);
    text += event[2];
  }
  return text;
}

function splitEvery(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const TRICKY: Buffer[] = [
  Buffer.from('plain "quoted" and \\backslashed\\ text'),
  Buffer.from(Array.from({ length: 0x20 }, (_, byte) => byte).concat([0x7f])),
  Buffer.from('\x1b[1;31mred\x1b[0m\r\n\t\b\f\x07'),
  Buffer.from('é ü ß — 日本語 \u2028 \u2029 \ufeff'),
  Buffer.from('emoji 😀👍🏽👨‍👩‍👧 flags 🇩🇪'),
  Buffer.from([0x80, 0xbf, 0xc0, 0x80, 0xc1, 0xbf, 0xe0, 0x80, 0x80, 0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf, 0xf5, 0x80, 0xff, 0xfe]),
  Buffer.from([0xf0, 0x9f, 0x98, 0x41, 0xe2, 0x82, 0x0a, 0xc3, 0x22, 0xf4, 0x90, 0x80, 0x80, 0xf0, 0x80, 0x80, 0x80]),
  Buffer.from([0x41, 0xf0, 0x9f, 0x98]), // ends inside an emoji: U+FFFD at close
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xc3]),
];

describe('output event encoder', () => {
  it('writes what JSON.stringify writes, for every single byte value', () => {
    for (let byte = 0; byte < 256; byte += 1) {
      const chunks = [Buffer.from([0x61, byte, 0x62])];
      expect(encode(chunks)).toBe(reference(chunks));
    }
  });

  it('matches the decoder on tricky inputs whole, split at every byte, and in every two-part split', () => {
    for (const input of TRICKY) {
      expect(encode([input])).toBe(reference([input]));
      expect(encode(splitEvery(input, 1))).toBe(reference(splitEvery(input, 1)));
      for (let cut = 0; cut <= input.length; cut += 1) {
        const chunks = [input.subarray(0, cut), input.subarray(cut)];
        expect(encode(chunks)).toBe(reference(chunks));
      }
    }
  });

  it('keeps a multi-byte character split across chunks whole', () => {
    const text = '→😀é日';
    const bytes = Buffer.from(text.repeat(50));
    for (const size of [1, 2, 3, 5, 7]) expect(encode(splitEvery(bytes, size))).toBe(text.repeat(50));
  });

  it('matches the decoder on random byte streams split at random places', () => {
    const next = random(20261129);
    const pieces = [...TRICKY, Buffer.from('abc'), Buffer.from('\r\n'), Buffer.from('😀'), Buffer.from('ü')];
    for (let round = 0; round < 1500; round += 1) {
      const parts: Buffer[] = [];
      const count = 1 + Math.floor(next() * 12);
      for (let index = 0; index < count; index += 1) {
        if (next() < 0.4) parts.push(Buffer.from(Array.from({ length: 1 + Math.floor(next() * 6) }, () => Math.floor(next() * 256))));
        else parts.push(pieces[Math.floor(next() * pieces.length)]!);
      }
      const bytes = Buffer.concat(parts);
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = Math.floor(next() * 9);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const expected = reference(chunks);
      expect(encode(chunks), `round ${round}: ${bytes.toString('hex')}`).toBe(expected);
      if (round % 3 === 0) expect(encode(chunks, escapers.js), `round ${round} (js): ${bytes.toString('hex')}`).toBe(expected);
    }
  });

  it('skips a chunk that only starts a character, and writes nothing for empty output', () => {
    const encoder = createOutputEventEncoder(escapers.wasm, isUtf8);
    expect(encoder.encode(Buffer.from([0xf0, 0x9f]), 0.1)).toBeUndefined();
    expect(encoder.encode(Buffer.alloc(0), 0.2)).toBeUndefined();
    expect(Buffer.from(encoder.encode(Buffer.from([0x98, 0x80, 0x22]), 0.3)!).toString()).toBe('[0.3,"o","😀\\""]\n');
    expect(encoder.end(0.4)).toBeUndefined();
  });
});
