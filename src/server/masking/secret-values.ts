/**
 * Exact values that must never leave the gateway (connection credentials, `masking.values`),
 * kept with a label and matched in the forms they are commonly printed in: plain, base64,
 * base64url and URL-encoded. Other modules add values (`gateway.secretValues.add(value, label)`).
 * It never logs, returns or serialises a value except to the masker.
 */

export interface SecretValueForm {
  /** The text as it would appear in output (latin1: one char per UTF-8 byte). */
  text: string;
  label: string;
}

/** Values shorter than this would mask ordinary words; they are refused. */
export const MIN_SECRET_VALUE_LENGTH = 6;
/** Lines of a multi-line value shorter than this are too generic to match on their own. */
const MIN_LINE_LENGTH = 16;

export class SecretValueRegistry {
  readonly #values = new Map<string, string>();
  #version = 0;
  #forms?: SecretValueForm[];

  /** Changes whenever a value is added, so maskers know to rebuild their index. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#values.size;
  }

  /** Registers a value; short values are refused with a TypeError (a caller's mistake). */
  add(value: string, label = 'secret-value'): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_VALUE_LENGTH) {
      throw new TypeError(`a secret value to mask must be a string of at least ${MIN_SECRET_VALUE_LENGTH} characters (label ${label})`);
    }
    if (this.#values.get(value) === label) return;
    this.#values.set(value, label);
    this.#version++;
    this.#forms = undefined;
  }

  /** Every printed form of every value, longest first (so the longest match wins). */
  forms(): SecretValueForm[] {
    if (this.#forms) return this.#forms;
    const seen = new Map<string, string>();
    for (const [value, label] of this.#values) {
      for (const piece of valuePieces(value)) {
        for (const text of encodings(piece)) if (text.length >= MIN_SECRET_VALUE_LENGTH && !seen.has(text)) seen.set(text, label);
      }
    }
    this.#forms = [...seen].map(([text, label]) => ({ text, label })).sort((a, b) => b.text.length - a.text.length);
    return this.#forms;
  }
}

/** A multi-line value (a certificate, a key) is matched line by line, since output is line-based. */
function valuePieces(value: string): string[] {
  if (!/[\r\n]/.test(value)) return [value];
  const lines = value.split(/\r?\n/).filter((line) => line.trim().length >= MIN_LINE_LENGTH);
  return [value.replace(/\r?\n$/, ''), ...lines];
}

function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64');
  const forms = [
    bytes.toString('latin1'),
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, '+'),
  ];
  // base64 of a value inside a longer blob shifts by offset: also match the stable middle part
  // of each of the three alignments (drop the chars that depend on neighbours).
  for (let shift = 0; shift <= 2; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const stable = shifted.slice(Math.ceil((shift * 4) / 3), Math.floor(((shift + bytes.length) * 4) / 3));
    if (stable.length >= 12) forms.push(stable);
  }
  return forms;
}
