/**
 * Reads asciicast v2 files tolerantly: a gateway killed mid-write leaves at most a torn last line,
 * which is reported and skipped. Anything broken before the last line is an error naming the line.
 * It only reads; it never repairs or rewrites a recording (that would break its audit hash).
 */
import { readFileSync } from 'node:fs';

export interface CastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp?: number;
  title?: string;
  [key: string]: unknown;
}

export type CastEventCode = 'o' | 'i' | 'm' | 'r';

export interface CastEvent {
  time: number;
  code: CastEventCode | string;
  data: string;
}

export interface Cast {
  header: CastHeader;
  events: CastEvent[];
  /** The last line was cut short (a crash mid-write) and was skipped. */
  torn: boolean;
  /** Time of the last event, seconds. */
  duration: number;
}

export class CastFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CastFormatError';
  }
}

function parseEvent(line: string): CastEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length < 3 || typeof value[0] !== 'number' || typeof value[1] !== 'string' || typeof value[2] !== 'string') return undefined;
  return { time: value[0], code: value[1], data: value[2] };
}

export function parseCast(text: string, source = 'recording'): Cast {
  const lines = text.split('\n');
  // A complete file ends with "\n": the last element is then empty. Anything else there is torn.
  const last = lines.pop() ?? '';
  let header: CastHeader;
  try {
    header = JSON.parse(lines[0] ?? last) as CastHeader;
  } catch {
    throw new CastFormatError(`${source}: line 1 is not an asciicast header`);
  }
  if (!header || header.version !== 2 || typeof header.width !== 'number' || typeof header.height !== 'number') {
    throw new CastFormatError(`${source}: not an asciicast v2 file (header needs version 2, width, height)`);
  }
  const events: CastEvent[] = [];
  for (let index = 1; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const event = parseEvent(line);
    if (!event) throw new CastFormatError(`${source}: line ${index + 1} is not an asciicast event`);
    events.push(event);
  }
  let torn = false;
  if (lines.length > 0 && last.trim() !== '') {
    const event = parseEvent(last);
    if (event) events.push(event);
    else torn = true;
  }
  return { header, events, torn, duration: events.length > 0 ? events[events.length - 1]!.time : 0 };
}

export function readCast(file: string): Cast {
  return parseCast(readFileSync(file, 'utf8'), file);
}

/** Markers in order, with their times (what replay views put on the timeline). */
export function castMarkers(cast: Cast): { time: number; label: string }[] {
  return cast.events.filter((event) => event.code === 'm').map((event) => ({ time: event.time, label: event.data }));
}

const MARKER_PREFIX = /^\[\s*[-+\d.eE]+\s*,\s*"m"/;

/**
 * Header, markers and duration without decoding or parsing every output event (the replay page
 * of a 50 MB recording must open quickly). Same tolerance as parseCast: a torn last line is skipped.
 */
export function scanCast(input: Buffer | string, source = 'recording'): { header: CastHeader; markers: { time: number; label: string }[]; duration: number; torn: boolean } {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const firstBreak = bytes.indexOf(10);
  const head = parseCast(bytes.toString('utf8', 0, firstBreak < 0 ? bytes.length : firstBreak + 1), source);
  const markers: { time: number; label: string }[] = [];
  let start = firstBreak < 0 ? bytes.length : firstBreak + 1;
  let lastStart: number | undefined;
  let lastEnd = 0;
  let torn = false;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    const complete = end >= 0;
    if (!complete) end = bytes.length;
    // Only marker lines and the torn candidate are decoded; output lines are just skipped over.
    const prefix = bytes.toString('utf8', start, Math.min(end, start + 40));
    if (prefix.trim() !== '') {
      const event = MARKER_PREFIX.test(prefix) || !complete ? parseEventLine(bytes.toString('utf8', start, end)) : undefined;
      if (!complete && !event) torn = true;
      else {
        lastStart = start;
        lastEnd = end;
        if (event?.code === 'm') markers.push({ time: event.time, label: event.data });
      }
    }
    start = end + 1;
  }
  const last = lastStart !== undefined ? parseEventLine(bytes.toString('utf8', lastStart, lastEnd)) : undefined;
  if (lastStart !== undefined && !last) throw new CastFormatError(`${source}: the last line is not an asciicast event`);
  return { header: head.header, markers, duration: last?.time ?? 0, torn };
}

function parseEventLine(line: string): CastEvent | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string' && typeof value[2] === 'string') return { time: value[0], code: value[1], data: value[2] };
  } catch {
    /* not an event */
  }
  return undefined;
}
