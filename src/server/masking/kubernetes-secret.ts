/**
 * Recognises the `data:` / `stringData:` block of a Kubernetes Secret printed as YAML or JSON
 * (kubectl -o yaml|json, or `cat` of a manifest) and says which values to hide. A Secret's kind
 * may come after its data (kubectl sorts keys), so the masker holds the block until the kind is
 * known. ConfigMaps and other kinds stay readable. It never emits text itself.
 */

export type KubeMaskMode = 'all' | 'base64' | 'none';

export interface KubeBlock {
  /** Column of the `data` key; entries are indented deeper. */
  indent: number;
  json: boolean;
}

const YAML_TRIGGER = /^(\s*(?:-\s+)?)(data|stringData):\s*(?:#.*)?$/;
const JSON_TRIGGER = /^(\s*)"(data|stringData)"\s*:\s*\{\s*$/;
const JSON_INLINE = /"(?:data|stringData)"\s*:\s*\{([^{}]*)\}/;
const JSON_INLINE_SECRET = /"kind"\s*:\s*"Secret"/;
const KIND_LINE = /^\s*(?:-\s+)?"?kind"?\s*:\s*["']?([A-Za-z0-9]+)/;
const YAML_ENTRY = /^(\s*)(?:"[^"]*"|'[^']*'|[^\s:#][^:]*?)\s*:(?:\s+(.*?))?\s*$/;
const JSON_ENTRY = /^\s*"[^"]*"\s*:\s*"([^"]*)"/;
const JSON_STRING = /"[^"]*"\s*:\s*"([^"]*)"/g;
const BASE64 = /^[A-Za-z0-9+/]{4,}={0,2}$/;

export interface Trigger {
  block: KubeBlock;
  stringData: boolean;
}

/** Is this complete line the start of a data block? */
export function kubeTrigger(line: string): Trigger | undefined {
  const yaml = YAML_TRIGGER.exec(line);
  if (yaml) return { block: { indent: yaml[1]!.length, json: false }, stringData: yaml[2] === 'stringData' };
  const json = JSON_TRIGGER.exec(line);
  if (json) return { block: { indent: json[1]!.length, json: true }, stringData: json[2] === 'stringData' };
  return undefined;
}

/** Values of an inline JSON Secret (`{"data":{"k":"v"},"kind":"Secret"}` on one line): [start, end) pairs. */
export function inlineSecretValues(line: string): [number, number][] {
  const data = JSON_INLINE.exec(line);
  if (!data || !JSON_INLINE_SECRET.test(line)) return [];
  const offset = data.index + data[0].indexOf('{') + 1;
  const ranges: [number, number][] = [];
  JSON_STRING.lastIndex = 0;
  for (let m = JSON_STRING.exec(data[1]!); m; m = JSON_STRING.exec(data[1]!)) {
    const end = offset + m.index + m[0].length - 1;
    ranges.push([end - m[1]!.length, end]);
  }
  return ranges;
}

function keyIndent(line: string): number {
  const m = /^(\s*)(-\s+)?/.exec(line)!;
  return m[0].length;
}

function isBlank(line: string): boolean {
  return /^\s*(?:#.*)?$/.test(line);
}

/** A line that starts a new document or list item at or above the data's mapping. */
function endsMapping(line: string, indent: number): boolean {
  if (/^---/.test(line) || /^\.\.\.\s*$/.test(line)) return true;
  const lead = /^(\s*)(-\s+)?/.exec(line)!;
  if (lead[2] && lead[1]!.length + lead[2].length <= indent) return true;
  return keyIndent(line) < indent;
}

/**
 * The kind of the mapping holding the data block, from the lines of `text` before `end` (walked
 * backwards, at most 400 lines), then, if the walk reaches the text's start, the lines of
 * `earlier()` (complete lines that came before the text; only built when needed).
 */
export function kindBefore(text: string, end: number, block: KubeBlock, earlier?: () => string): string | undefined {
  let seen = 0;
  const walk = (source: string, from: number): string | undefined | 'more' => {
    let lineEnd = from;
    for (; lineEnd > 0 && seen < 400; seen++) {
      // (lastIndexOf would read a negative position as 0 and find the newline ending the line)
      const lineStart = lineEnd >= 2 ? source.lastIndexOf('\n', lineEnd - 2) + 1 : 0;
      const line = source.slice(lineStart, lineEnd - 1);
      lineEnd = lineStart;
      if (isBlank(line)) continue;
      if (/^---/.test(line)) return undefined;
      const indent = keyIndent(line);
      if (indent === block.indent) {
        const kind = KIND_LINE.exec(line);
        if (kind) return kind[1];
        if (/^\s*-\s/.test(line)) return undefined; // start of this list item: nothing before it
      } else if (indent < block.indent) return undefined;
    }
    return lineEnd === 0 && seen < 400 ? 'more' : undefined;
  };
  const found = walk(text, end);
  if (found !== 'more') return found;
  const before = earlier?.() ?? '';
  const more = walk(before, before.length);
  return more === 'more' ? undefined : more;
}

/** Does this line end the block (so the state machine stops masking)? */
export function endsBlock(line: string, block: KubeBlock): boolean {
  if (isBlank(line)) return false;
  if (block.json) return /^\s*\}/.test(line) && keyIndent(line) <= block.indent;
  return endsMapping(line, block.indent + 1);
}

/**
 * Looks past the block (complete lines of `text` from `from`) for the kind: 'incomplete' when the
 * text ends first (hold), otherwise the kind, or undefined when the mapping ended without one.
 */
export function kindAfter(text: string, from: number, block: KubeBlock): string | undefined | 'incomplete' {
  let inBlock = true;
  for (let pos = from; ; ) {
    const newline = text.indexOf('\n', pos);
    if (newline === -1) return 'incomplete';
    const line = text.slice(pos, newline);
    pos = newline + 1;
    if (inBlock) {
      if (!endsBlock(line, block)) continue;
      inBlock = false;
      if (block.json) continue; // the closing brace itself
    }
    if (isBlank(line)) continue;
    const indent = keyIndent(line);
    if (indent === block.indent) {
      const kind = KIND_LINE.exec(line);
      if (kind) return kind[1];
      if (/^\s*-\s/.test(line)) return undefined;
      continue;
    }
    if (indent > block.indent) continue;
    return undefined;
  }
}

/** The [start, end) of the part of a block line to hide under the given mode, or undefined. */
export function valueToHide(line: string, block: KubeBlock, mode: KubeMaskMode): [number, number] | undefined {
  if (mode === 'none' || isBlank(line)) return undefined;
  let range: [number, number] | undefined;
  if (block.json) {
    const m = JSON_ENTRY.exec(line);
    if (m) {
      const end = m[0].length - 1;
      range = [end - m[1]!.length, end];
    }
  } else {
    const m = YAML_ENTRY.exec(line);
    if (m && keyIndent(line) > block.indent) {
      const value = m[2] ?? '';
      if (value === '' || /^[|>][+-]?\d*$/.test(value)) return undefined;
      const start = m[0].length - (line.length - line.trimEnd().length) - value.length;
      range = [start, start + value.length];
      const quoted = /^(["']).*\1$/.test(value);
      if (quoted) range = [range[0] + 1, range[1] - 1];
    } else {
      // continuation of a block scalar (`key: |`): the whole content
      const start = line.length - line.trimStart().length;
      range = [start, line.trimEnd().length];
    }
  }
  if (!range || range[1] <= range[0]) return undefined;
  if (mode === 'base64' && !BASE64.test(line.slice(range[0], range[1]))) return undefined;
  return range;
}
