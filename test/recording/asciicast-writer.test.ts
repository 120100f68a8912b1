/**
 * The asciicast writer and its recording thread, without a gateway: the file Debian's asciinema
 * reads back is exactly the bytes given (characters split across chunks, invalid UTF-8 as
 * U+FFFD), events keep their order, the digest handed to the audit chain is the SHA-256 of the
 * file, and backpressure counts what is not yet written. (A full disk: test/reliability/full-disk.)
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AsciicastWriter } from '../../src/recorder/asciicast-writer.js';
import { takeRecordingDigest } from '../../src/recorder/recording-digests.js';
import { RecordingThread } from '../../src/recorder/recording-thread.js';
import { asciinemaCat } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hoop-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = (): string => path.join(dir, `rec-${++files}.cast`);

function events(file: string): [number, string, string][] {
  const lines = readFileSync(file, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  expect(JSON.parse(lines.shift()!)).toMatchObject({ version: 2, width: 80, height: 24 });
  return lines.map((line) => JSON.parse(line) as [number, string, string]);
}

const untilDrained = (writer: AsciicastWriter): Promise<void> =>
  new Promise((resolve) => {
    const check = (): void => (writer.backlogBytes === 0 ? resolve() : writer.onceDrained(check));
    check();
  });

describe('AsciicastWriter', () => {
  it('records exactly the bytes given, split anywhere, for asciinema cat', async () => {
    const file = newFile();
    const writer = new AsciicastWriter(file, { width: 80, height: 24 });
    const text = 'plain "quoted" \\ back\r\n\x1b[1;32mgreen\x1b[0m é 日本 😀👍🏽\r\n\t tab\r\n';
    const bytes = Buffer.from(text.repeat(400));
    for (let at = 0, size = 1; at < bytes.length; at += size, size = (size % 13) + 1) writer.output(bytes.subarray(at, at + size));
    await writer.close();
    const recorded = events(file);
    expect(recorded.every(([, code]) => code === 'o')).toBe(true);
    expect(recorded.map(([, , data]) => data).join('')).toBe(text.repeat(400));
    const cat = await asciinemaCat(file);
    expect(cat.code).toBe(0);
    expect(cat.output).toBe(text.repeat(400).replace(/\r\n/g, '\n'));
  });

  it('keeps every byte across batch sizes: small, outgrowing the small buffer, over a full batch, small again', async () => {
    const file = newFile();
    const writer = new AsciicastWriter(file, { width: 80, height: 24 });
    const sizes = [10, 10_000, 10_000, 300_000, 5, 16 * 1024, 1, 600_000, 3];
    let expected = '';
    sizes.forEach((size, index) => {
      const piece = String.fromCharCode(97 + index).repeat(size);
      expected += piece;
      writer.output(Buffer.from(piece));
    });
    await writer.close();
    expect(events(file).map(([, , data]) => data).join('')).toBe(expected);
  });

  it('turns invalid UTF-8 into U+FFFD and a character cut off at the end into one U+FFFD', async () => {
    const file = newFile();
    const writer = new AsciicastWriter(file, { width: 80, height: 24 });
    writer.output(Buffer.from([0x61, 0xff, 0x62, 0xed, 0xa0, 0x80, 0x63, 0xf0, 0x9f]));
    writer.output(Buffer.from([0x98]));
    await writer.close();
    expect(events(file).map(([, , data]) => data).join('')).toBe('a\ufffdb\ufffd\ufffd\ufffdc\ufffd');
  });

  it('keeps the order of output, input, markers and resizes, with times that never go back', async () => {
    const file = newFile();
    const writer = new AsciicastWriter(file, { width: 80, height: 24 });
    writer.output(Buffer.from('$ '));
    writer.input(Buffer.from('ls\r'));
    writer.marker('command: ls');
    writer.output(Buffer.from('a b c\r\n'));
    writer.resize(100, 30);
    writer.output(Buffer.from([0xe2, 0x82]));
    writer.marker('between');
    writer.output(Buffer.from([0xac, 0x0a]));
    await writer.close();
    const recorded = events(file);
    expect(recorded.map(([, code, data]) => [code, data])).toEqual([
      ['o', '$ '],
      ['i', 'ls\r'],
      ['m', 'command: ls'],
      ['o', 'a b c\r\n'],
      ['r', '100x30'],
      ['m', 'between'],
      ['o', '€\n'],
    ]);
    const times = recorded.map(([time]) => time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('hands the SHA-256 of the whole file to the audit chain once, at close', async () => {
    const file = newFile();
    const writer = new AsciicastWriter(file, { width: 80, height: 24, session: 'x' });
    writer.output(Buffer.from('x'.repeat(300_000)));
    writer.marker('m');
    expect(writer.digest).toBeUndefined();
    await writer.close();
    const content = readFileSync(file);
    const expected = { sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };
    expect(writer.digest).toEqual(expected);
    expect(takeRecordingDigest(file)).toEqual(expected);
    expect(takeRecordingDigest(file)).toBeUndefined();
  });

  it('counts output not yet written as backlog until the thread has written it', async () => {
    const file = newFile();
    const writer = new AsciicastWriter(file, { width: 80, height: 24 });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let index = 0; index < 48; index += 1) writer.output(chunk);
    expect(writer.backlogBytes).toBeGreaterThan(1024 * 1024);
    await untilDrained(writer);
    expect(writer.backlogBytes).toBe(0);
    await writer.close();
    expect(events(file).map(([, , data]) => data).join('').length).toBe(48 * 64 * 1024);
  });

  it('fails every open recording when the thread dies, never leaves close() waiting, and starts a new thread after', async () => {
    const failures: Error[] = [];
    const file = newFile();
    const writer = new AsciicastWriter(file, { width: 80, height: 24 }, (error) => failures.push(error));
    writer.output(Buffer.from('before'));
    await RecordingThread.shared().terminate();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/the recording thread (exited|was stopped)/);
    writer.output(Buffer.from('after'));
    await writer.close();
    expect(writer.digest).toBeUndefined();
    expect(writer.backlogBytes).toBe(0);

    const next = newFile();
    const fresh = new AsciicastWriter(next, { width: 80, height: 24 }, (error) => failures.push(error));
    fresh.output(Buffer.from('fresh'));
    await fresh.close();
    expect(events(next).map(([, , data]) => data)).toEqual(['fresh']);
    expect(failures).toHaveLength(1);
  });
});
