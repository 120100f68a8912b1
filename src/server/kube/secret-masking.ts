/**
 * Structured masking of Kubernetes Secrets in API responses, and the check that refuses writes
 * carrying the placeholder back. Pure functions over parsed JSON plus a streaming masker for
 * watch streams; the Kubernetes proxy calls them on every response body that may hold a Secret.
 *
 * What is masked, wherever it occurs (single objects, `SecretList`s whose items carry no kind,
 * mixed `List`s, nested lists, Table rows with includeObject=Object, watch events):
 *   - every value of `data` and `stringData` of a Secret (keys stay visible), and
 *   - inside the `kubectl.kubernetes.io/last-applied-configuration` annotation (a JSON string
 *     holding the applied manifest) of any object, including PartialObjectMetadata rows.
 *
 * It must never pass on a value it could not inspect: unparseable JSON throws SecretMaskingError
 * (the caller refuses the response), and an unparseable last-applied annotation is replaced.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { parse as parseYaml } from 'yaml';

/**
 * The placeholder every Secret value becomes. It reads as what it is in `kubectl get -o yaml`,
 * and it is valid base64 (20 characters of the base64 alphabet), so typed clients that decode
 * `data` (`kubectl describe secret`, client-go, helm) still work: describe prints "15 bytes".
 */
export const MASKED_SECRET_VALUE = 'MASKED/BY/HOOP/SHELL';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The shapes in which the placeholder can come back in a write body: as read (JSON/YAML `data`),
 * base64-encoded again (stringData turned into data by a typed client, `create secret
 * --from-literal=k=<placeholder>`), and decoded to raw bytes (`data` in a protobuf body).
 */
export const PLACEHOLDER_FORMS: readonly Buffer[] = [
  Buffer.from(MASKED_SECRET_VALUE),
  Buffer.from(Buffer.from(MASKED_SECRET_VALUE).toString('base64')),
  Buffer.from(MASKED_SECRET_VALUE, 'base64'),
];

export const PLACEHOLDER_REFUSAL =
  `the request carries the masked Secret placeholder "${MASKED_SECRET_VALUE}"; writing it would overwrite the real secret value. ` +
  'Write the real values instead (they are never shown through the gateway).';

/** A watch event may not exceed this many bytes before it is complete (fail closed, bounded memory). */
export const MAX_WATCH_EVENT_BYTES = 32 * 1024 * 1024;

export class SecretMaskingError extends Error {
  override readonly name = 'SecretMaskingError';
}

export interface MaskResult<T> {
  value: T;
  /** How many values were replaced (0: nothing Secret-bearing was found). */
  masked: number;
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Masks every Secret value inside a parsed API response (object, list, Table, watch event, or
 * anything nesting them). Returns a copy; the input is left untouched.
 */
export function maskSecrets<T>(value: T): MaskResult<T> {
  const counter = { masked: 0 };
  const masked = walk(value, undefined, counter) as T;
  return { value: masked, masked: counter.masked };
}

function walk(node: unknown, impliedKind: string | undefined, counter: { masked: number }): unknown {
  if (Array.isArray(node)) return node.map((item) => walk(item, impliedKind, counter));
  if (!isObject(node)) return node;
  const kind = typeof node.kind === 'string' ? node.kind : impliedKind;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(node)) {
    if (kind === 'Secret' && (key === 'data' || key === 'stringData')) {
      out[key] = maskValues(child, counter);
    } else if (key === 'items' && Array.isArray(child)) {
      // Items of a `SecretList` carry no kind of their own (the API server omits it).
      out[key] = child.map((item) => walk(item, listItemKind(node.kind), counter));
    } else if (key === 'metadata' && isObject(child)) {
      out[key] = maskMetadata(child, counter);
    } else {
      out[key] = walk(child, undefined, counter);
    }
  }
  return out;
}

function listItemKind(listKind: unknown): string | undefined {
  return typeof listKind === 'string' && listKind.endsWith('List') && listKind !== 'List' ? listKind.slice(0, -'List'.length) : undefined;
}

function maskValues(data: unknown, counter: { masked: number }): unknown {
  if (data === null || data === undefined) return data;
  if (!isObject(data)) {
    // Malformed (a string or list where a map belongs): nothing in it can be shown.
    counter.masked++;
    return MASKED_SECRET_VALUE;
  }
  const out: JsonObject = {};
  for (const key of Object.keys(data)) {
    out[key] = MASKED_SECRET_VALUE;
    counter.masked++;
  }
  return out;
}

function maskMetadata(metadata: JsonObject, counter: { masked: number }): JsonObject {
  const out = walk(metadata, undefined, counter) as JsonObject;
  const annotations = metadata.annotations;
  if (!isObject(annotations) || typeof annotations[LAST_APPLIED_ANNOTATION] !== 'string') return out;
  const text = annotations[LAST_APPLIED_ANNOTATION] as string;
  let replacement: string;
  try {
    const inner = maskSecrets(JSON.parse(text) as unknown);
    if (inner.masked === 0) return out;
    counter.masked += inner.masked;
    replacement = JSON.stringify(inner.value) + (text.endsWith('\n') ? '\n' : '');
  } catch {
    // An annotation that is not JSON may still hold a value; it is not shown at all.
    if (!text.includes('Secret')) return out;
    counter.masked++;
    replacement = MASKED_SECRET_VALUE;
  }
  return { ...out, annotations: { ...(out.annotations as JsonObject), [LAST_APPLIED_ANNOTATION]: replacement } };
}

/** Cheap pre-check: every Secret-bearing JSON names the kind (`Secret`, `SecretList`, or inside last-applied). */
export function mayCarrySecret(body: Buffer | string): boolean {
  return typeof body === 'string' ? body.includes('Secret') : body.includes('Secret');
}

/**
 * Masks a whole JSON response body. Bodies that cannot hold a Secret come back as the same
 * bytes; a body that may hold one and is not JSON throws SecretMaskingError.
 */
export function maskJsonBody(body: Buffer): MaskResult<Buffer> {
  if (!mayCarrySecret(body)) return { value: body, masked: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SecretMaskingError('the API server sent a body that may hold a Secret and is not JSON; it cannot be masked');
  }
  const result = maskSecrets(parsed);
  if (result.masked === 0) return { value: body, masked: 0 };
  const trailing = body.length > 0 && body[body.length - 1] === 0x0a ? '\n' : '';
  return { value: Buffer.from(JSON.stringify(result.value) + trailing), masked: result.masked };
}

/**
 * Masks a response body by its Content-Type: JSON is masked; other object encodings
 * (protobuf, CBOR, YAML) that may hold a Secret throw, since they cannot be masked here (the
 * proxy should ask the API server for JSON only, see `acceptJsonOnly`); text (logs) passes.
 */
export function maskResponseBody(body: Buffer, contentType: string | undefined): MaskResult<Buffer> {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || media.endsWith('+json') || media === '') return maskJsonBody(body);
  if (/protobuf|cbor|yaml/.test(media) && mayCarrySecret(body)) {
    throw new SecretMaskingError(`the API server sent ${media}, which the gateway cannot mask`);
  }
  return { value: body, masked: 0 };
}

/**
 * Rewrites an Accept header so the API server answers in JSON: drops protobuf and CBOR (which
 * client-go asks for first) and keeps the Table/metadata variants kubectl relies on.
 */
export function acceptJsonOnly(accept: string | undefined): string {
  const kept = (accept ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !/protobuf|cbor|yaml/i.test(entry.split(';')[0]!));
  return kept.length > 0 ? kept.join(',') : 'application/json';
}

/**
 * Masks a watch stream: a sequence of JSON events, newline-separated or not, split across
 * chunks anywhere (inside a string, inside a multi-byte character). Complete events are masked
 * and passed on at once; whitespace between them is kept. Structural characters are ASCII, so the
 * scan works on bytes and never decodes a partial character.
 */
export class WatchEventMasker {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  masked = 0;

  /**
   * Feeds a chunk; returns the masked bytes of every event completed by it (possibly empty).
   * After it throws, the stream must be cut: the masker's state is no longer meaningful.
   */
  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.#depth === 0) {
        if (byte === 0x7b /* { */) {
          if (i > start) out.push(chunk.subarray(start, i));
          start = i;
          this.#depth = 1;
        } else if (!isJsonWhitespace(byte)) {
          throw new SecretMaskingError('the watch stream holds something other than JSON events; it cannot be masked');
        }
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === 0x5c /* \ */) this.#escaped = true;
        else if (byte === 0x22 /* " */) this.#inString = false;
        continue;
      }
      if (byte === 0x22) this.#inString = true;
      else if (byte === 0x7b || byte === 0x5b) this.#depth++;
      else if (byte === 0x7d || byte === 0x5d) {
        this.#depth--;
        if (this.#depth === 0) {
          this.#pending.push(chunk.subarray(start, i + 1));
          out.push(this.#completeEvent());
          start = i + 1;
        }
      }
    }
    if (this.#depth > 0) {
      this.#pending.push(chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
      if (this.#pendingBytes > MAX_WATCH_EVENT_BYTES) {
        throw new SecretMaskingError(`a watch event exceeds ${MAX_WATCH_EVENT_BYTES} bytes; it cannot be masked`);
      }
    } else if (start < chunk.length) {
      out.push(chunk.subarray(start));
    }
    return Buffer.concat(out);
  }

  /** Ends the stream: an event cut off mid-way is dropped (never passed on unmasked). */
  end(): Buffer {
    const truncated = this.#depth > 0;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#depth = 0;
    if (truncated) throw new SecretMaskingError('the watch stream ended inside an event');
    return Buffer.alloc(0);
  }

  #completeEvent(): Buffer {
    const event = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const result = maskJsonBody(event);
    this.masked += result.masked;
    return result.value;
  }
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** A Transform around WatchEventMasker; it errors (and the proxy cuts the stream) when masking fails. */
export function createWatchMaskingStream(): Transform {
  const masker = new WatchEventMasker();
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        const out = masker.push(chunk);
        callback(null, out.length > 0 ? out : undefined);
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        masker.end();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * True when a write body (JSON, YAML, protobuf or anything else) carries the placeholder back,
 * in any of PLACEHOLDER_FORMS, or JSON-escaped inside a parsed string (`MASKED\/BY…`).
 */
export function bodyCarriesPlaceholder(body: Buffer | string | unknown): boolean {
  if (body === undefined || body === null) return false;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (PLACEHOLDER_FORMS.some((form) => bytes.includes(form))) return true;
    const parsed = parseStructured(bytes.toString('utf8'));
    return parsed !== undefined && valueCarriesPlaceholder(parsed, 0);
  }
  return valueCarriesPlaceholder(body, 0);
}

function valueCarriesPlaceholder(value: unknown, depth: number): boolean {
  if (depth > 64) return false;
  if (typeof value === 'string') {
    if (PLACEHOLDER_FORMS.some((form) => Buffer.from(value).includes(form))) return true;
    // A manifest nested as a string (the last-applied annotation) is searched too.
    const trimmed = value.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const inner = parseStructured(trimmed);
      if (inner !== undefined && inner !== value) return valueCarriesPlaceholder(inner, depth + 1);
    }
    return false;
  }
  if (Array.isArray(value)) return value.some((v) => valueCarriesPlaceholder(v, depth + 1));
  if (isObject(value)) return Object.entries(value).some(([k, v]) => valueCarriesPlaceholder(k, depth + 1) || valueCarriesPlaceholder(v, depth + 1));
  return false;
}

function parseStructured(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      const parsed: unknown = parseYaml(text);
      return typeof parsed === 'object' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The three operations in one object, the shape the proxy's masking adapter consumes. */
export const secretMasking = {
  mask: <T>(value: T): T => maskSecrets(value).value,
  carriesPlaceholder: (value: unknown): boolean => bodyCarriesPlaceholder(value),
  placeholders: [MASKED_SECRET_VALUE] as string[],
};
