/**
 * The secret corpus (test/fixtures/secrets/corpus.yaml) and the look-alike corpus
 * (negatives.yaml), plus the leak check every masking test uses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { stripEscapes } from '../../src/server/masking/ansi.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/secrets');

export interface SecretSample {
  name: string;
  form: string;
  text: string;
  secrets: string[];
}

export interface NegativeSample {
  name: string;
  text: string;
}

export const corpus: SecretSample[] = (parse(readFileSync(path.join(dir, 'corpus.yaml'), 'utf8')) as { samples: SecretSample[] }).samples;
export const negatives: NegativeSample[] = (parse(readFileSync(path.join(dir, 'negatives.yaml'), 'utf8')) as { negatives: NegativeSample[] }).negatives;

/** Pieces of a secret long enough to matter: every window of 8 chars (or the whole if shorter). */
export function secretWindows(secret: string, size = 8): string[] {
  if (secret.length <= size) return [secret];
  const windows: string[] = [];
  for (let i = 0; i + size <= secret.length; i += 2) windows.push(secret.slice(i, i + size));
  return windows;
}

/**
 * What a person could read in the output: the output as is, and with control sequences removed
 * (a terminal shows `AK\e[1mIA…` as `AKIA…`). Returns a description of the first leak, or undefined.
 */
export function findLeak(sample: SecretSample, output: string | Buffer): string | undefined {
  const raw = typeof output === 'string' ? output : output.toString('latin1');
  // Most splits give an output seen before: check each distinct output once (keeps the O(n²) property tests fast).
  const key = `${sample.name}\0${raw}`;
  if (checked.has(key)) return checked.get(key);
  const leak = searchLeak(sample, raw);
  if (checked.size > 50_000) checked.clear();
  checked.set(key, leak);
  return leak;
}

const checked = new Map<string, string | undefined>();

const windowSets = new Map<string, { long: Map<string, string>; short: string[] }>();

function windowsOf(sample: SecretSample): { long: Map<string, string>; short: string[] } {
  let found = windowSets.get(sample.name);
  if (!found) {
    found = { long: new Map(), short: [] };
    for (const secret of sample.secrets) {
      if (secret.length <= 8) found.short.push(secret);
      else for (const window of secretWindows(secret)) found.long.set(window, secret);
    }
    windowSets.set(sample.name, found);
  }
  return found;
}

function searchLeak(sample: SecretSample, raw: string): string | undefined {
  const readable = stripEscapes(raw, true).clean;
  const texts = [Buffer.from(raw, 'latin1').toString('utf8'), Buffer.from(readable, 'latin1').toString('utf8')];
  const { long, short } = windowsOf(sample);
  for (const text of texts) {
    for (const secret of short) if (text.includes(secret)) return `${sample.name} leaked "${secret}"`;
    for (let i = 0; i + 8 <= text.length; i++) {
      const secret = long.get(text.slice(i, i + 8));
      if (secret !== undefined) return `${sample.name} leaked "${text.slice(i, i + 8)}" (of ${secret.slice(0, 12)}…)`;
    }
  }
  return undefined;
}
