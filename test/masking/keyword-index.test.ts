/**
 * The keyword index (SIMD prefilter + trie walk) against a brute-force search: every occurrence
 * of every entry, in any ASCII case, at every offset in a 16-byte block and at the very end of
 * the text, across resumed scans (a keyword split between two chunks), with and without the
 * SIMD prefilter. A miss here would let a rule skip the line holding a secret.
 */
import { describe, expect, it } from 'vitest';
import { KeywordIndex, type KeywordHits } from '../../src/server/masking/keyword-index.js';
import { buildRules } from '../../src/server/masking/rules.js';
import { SecretValueRegistry } from '../../src/server/masking/secret-values.js';

const fold = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Every (start, id) and the end depth, by trying every entry at every position. */
function bruteForce(entries: string[], text: string): { hits: string[]; endDepth: number } {
  const ext = `\n${fold(text)}`; // scans start as if after a newline
  const folded = entries.map(fold);
  const hits: string[] = [];
  for (let q = 0; q < ext.length; q++) {
    folded.forEach((entry, id) => {
      if (entry.length > 0 && ext.startsWith(entry, q)) hits.push(`${q - 1 + (entry.startsWith('\n') ? 1 : 0)}:${id}`);
    });
  }
  let endDepth = 0;
  for (let k = ext.length; k >= 1 && endDepth === 0; k--) if (folded.some((entry) => entry.startsWith(ext.slice(ext.length - k)))) endDepth = k;
  return { hits: hits.sort(), endDepth };
}

const found = (hits: KeywordHits): string[] => hits.starts.map((start, h) => `${start}:${hits.ids[h]}`).sort();

function expectInStartOrder(hits: KeywordHits): void {
  for (let h = 1; h < hits.starts.length; h++) expect(hits.starts[h]!).toBeGreaterThanOrEqual(hits.starts[h - 1]!);
}

let seed = 11;
const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
const randomCase = (text: string): string => [...text].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');

const values = new SecretValueRegistry();
values.add('kube-admin-token-0123456789abcdef', 'kube-credential');
values.add('pässwörd-ünïcode', 'utf8-value'); // bytes >= 0x80 in the latin1 form
const shipped = [...buildRules().keywords, ...values.forms().map((form) => form.text)];
// Config may add anything: one- and two-char keywords, a newline-led one, punctuation.
const unusual = [...shipped, 'q', 'zx', '\nEND', '\x00\xff', '$$'];

function randomText(entries: string[], length: number): string {
  const filler = ['a', 'A', 's', 'S', 'e', 'y', 'J', 'k', 'K', 't', '3', '.', ':', '/', '-', '_', '"', ' ', '\n', '\r', '\x1b', '\xe9', 'z', 'q'];
  let text = '';
  while (text.length < length) {
    if (random() < 0.12) {
      const entry = entries[Math.floor(random() * entries.length)]!;
      text += randomCase(random() < 0.25 ? entry.slice(0, Math.floor(random() * entry.length)) : entry);
    } else text += filler[Math.floor(random() * filler.length)];
  }
  return text;
}

describe('KeywordIndex', () => {
  for (const simd of [true, false]) {
    for (const [name, entries] of [
      ['shipped keywords and values', shipped],
      ['unusual config keywords', unusual],
    ] as const) {
      it(`finds exactly what a brute-force search finds (${name}, ${simd ? 'SIMD prefilter' : 'no prefilter'})`, () => {
        const index = new KeywordIndex(entries, { simd });
        for (let round = 0; round < 600; round++) {
          const text = randomText(entries, Math.floor(random() * 200));
          const expected = bruteForce(entries, text);
          const hits = index.scan(text);
          expect(found(hits), JSON.stringify(text)).toEqual(expected.hits);
          expect(hits.endDepth, JSON.stringify(text)).toBe(expected.endDepth);
          expectInStartOrder(hits);
          // The same text scanned in two parts: the first scan resumed (a keyword may straddle the cut).
          const cut = Math.floor(random() * (text.length + 1));
          const head = text.slice(0, cut);
          const first = index.scan(head);
          const resumed = index.scanParts([Buffer.from(text.slice(cut), 'latin1')], {
            starts: first.starts,
            ids: first.ids,
            length: head.length,
            tail: head.slice(Math.max(0, head.length - index.maxLength)),
          });
          expect(found(resumed), `${JSON.stringify(text)} cut at ${cut}`).toEqual(expected.hits);
          expect(resumed.endDepth).toBe(expected.endDepth);
          expectInStartOrder(resumed);
        }
      });
    }

    it(`finds a keyword at every offset of a 16-byte block and at the very end (${simd ? 'SIMD prefilter' : 'no prefilter'})`, () => {
      const index = new KeywordIndex(unusual, { simd });
      const filler = 'x'.repeat(100);
      for (const keyword of ['passw', 'TOKEN', 'eyJ', 'a3t', 'q', 'zx', '\nend', 'kube-admin-token-0123456789abcdef']) {
        const id = unusual.findIndex((entry) => fold(entry) === fold(keyword));
        for (let at = 0; at < 40; at++) {
          for (const after of ['', 'x', 'xy', 'xyz', filler]) {
            const text = filler.slice(0, at) + keyword + after;
            const hits = index.scan(text);
            const start = at + (keyword.startsWith('\n') ? 1 : 0);
            expect(found(hits), JSON.stringify(text)).toContain(`${start}:${id}`);
          }
          // Only its first chars at the end: the end depth says a keyword may be starting.
          for (let k = 1; k < keyword.length; k++) {
            const text = filler.slice(0, at) + keyword.slice(0, k);
            expect(index.scan(text).endDepth, JSON.stringify(text)).toBeGreaterThanOrEqual(k);
          }
        }
      }
    });
  }

  it('scans parts of mixed strings and bytes as one text, in large chunks too', () => {
    const index = new KeywordIndex(shipped);
    const text = randomText(shipped, 150_000);
    const expected = bruteForce(shipped, text.slice(0, 3000));
    const pieces = [text.slice(0, 1000), Buffer.from(text.slice(1000, 2000), 'latin1'), text.slice(2000, 3000)];
    expect(found(index.scanParts(pieces))).toEqual(expected.hits);
    // A large text (the memory grows): the hits agree with the scan without the prefilter.
    const plain = new KeywordIndex(shipped, { simd: false });
    expect(found(index.scan(text))).toEqual(found(plain.scan(text)));
    // Larger than the filter takes (walked without it): still every keyword.
    const huge = Buffer.alloc(5 * 1024 * 1024, 'x');
    const at = [0, 1_234_567, huge.length - 'PassWord'.length];
    for (const position of at) huge.write('PassWord', position, 'latin1');
    const hits = index.scanParts([huge]);
    const passw = shipped.indexOf('passw');
    expect(hits.starts.filter((_, h) => hits.ids[h] === passw)).toEqual(at);
  });
});
