/**
 * Where the proxy meets the Secret masking (secret-masking.ts): which response bodies are masked
 * whole, which stream through the watch masker, which pass as they are (logs), and the parsed
 * body of a write for policy.
 *
 * It must fail closed: a body that may hold a Secret and cannot be masked is never passed on.
 */
import type { Transform } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { bodyCarriesPlaceholder, createWatchMaskingStream, maskResponseBody } from './secret-masking.js';

export { SecretMaskingError as MaskingFailure, acceptJsonOnly, PLACEHOLDER_REFUSAL } from './secret-masking.js';

export type BodyHandling = 'mask-whole' | 'mask-watch' | 'stream';

/** How a response is relayed: object encodings are read and masked; text (logs) streams untouched. */
export function bodyHandling(contentType: string | undefined, watching: boolean): BodyHandling {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const objectEncoding = media === '' || media === 'application/json' || media.endsWith('+json') || /protobuf|cbor|yaml/.test(media);
  if (!objectEncoding) return 'stream';
  return watching && (media === 'application/json' || media.endsWith('+json')) ? 'mask-watch' : 'mask-whole';
}

/** A whole body, masked; throws MaskingFailure when it may hold a Secret and cannot be masked. */
export function maskWholeBody(body: Buffer, contentType: string | undefined): Buffer {
  return maskResponseBody(body, contentType).value;
}

/** A watch stream masked event by event, as it comes (no buffering of the stream). */
export function watchMasker(): Transform {
  return createWatchMaskingStream();
}

/** True when a write body hands the placeholder back (an apply of what was read). */
export function writeCarriesPlaceholder(body: Buffer): boolean {
  return bodyCarriesPlaceholder(body);
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
