/**
 * Applies the structured Secret masking (secret-masking.ts) to what flows through the proxy:
 * whole JSON bodies (objects, Lists, Tables), watch streams line by line, and the check that a
 * write does not carry the placeholder back.
 *
 * It must fail closed: a body it was asked to mask and cannot parse is never passed on.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { secretMasking } from './masking-adapter.js';

/** Cheap pre-check: only bodies that can hold a Secret are parsed (every Secret JSON names its kind). */
function mayHoldSecret(text: string, resource: string): boolean {
  return resource === 'secrets' || text.includes('Secret');
}

export class MaskingFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MaskingFailure';
  }
}

/** A whole JSON response body, masked; throws MaskingFailure when it must be masked and cannot be. */
export function maskJsonBody(body: Buffer, resource: string): Buffer {
  const text = body.toString('utf8');
  if (!mayHoldSecret(text, resource)) return body;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MaskingFailure('the API server sent a body the gateway could not read to mask');
  }
  return Buffer.from(JSON.stringify(secretMasking.mask(value)));
}

/** A watch stream (one JSON event per line), masked event by event without buffering the stream. */
export class WatchMasker extends Transform {
  #partial = '';
  readonly #resource: string;

  constructor(resource: string) {
    super();
    this.#resource = resource;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.#partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    try {
      const out = lines.map((line) => `${this.#maskLine(line)}\n`).join('');
      callback(null, out.length > 0 ? Buffer.from(out) : undefined);
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      callback(null, this.#partial.trim() ? Buffer.from(this.#maskLine(this.#partial)) : undefined);
    } catch (error) {
      callback(error as Error);
    }
  }

  #maskLine(line: string): string {
    if (!line.trim() || !mayHoldSecret(line, this.#resource)) return line;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new MaskingFailure('the API server sent a watch event the gateway could not read to mask');
    }
    return JSON.stringify(secretMasking.mask(event));
  }
}

/** True when a write body hands the placeholder back (an apply of what was read). */
export function writeCarriesPlaceholder(body: Buffer, contentType: string | undefined): boolean {
  const text = body.toString('utf8');
  if (secretMasking.placeholders.some((placeholder) => text.includes(placeholder))) return true;
  const value = parseWriteBody(text, contentType);
  return value !== undefined && secretMasking.carriesPlaceholder(value);
}

/** The parsed body of a write (JSON, or YAML for server-side apply), or undefined. */
export function parseWriteBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    if (contentType && /yaml/i.test(contentType)) {
      try {
        return parseYaml(text);
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}
