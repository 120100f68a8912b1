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
  const readable = stripEscapes(raw, true).clean;
  const texts = [Buffer.from(raw, 'latin1').toString('utf8'), Buffer.from(readable, 'latin1').toString('utf8')];
  for (const secret of sample.secrets) {
    for (const window of secretWindows(secret)) {
      for (const text of texts) if (text.includes(window)) return `${sample.name} leaked "${window}" (of ${secret.slice(0, 12)}…)`;
    }
  }
  return undefined;
}
