import { describe, expect, it } from 'vitest';
import { CastFormatError, castMarkers, parseCast, scanCast } from '../../src/recorder/asciicast-reader.js';
import { commandMarker, parseMarker } from '../../src/recorder/markers.js';
import { TerminalPlayer, schedule } from '../../src/recorder/terminal-player.js';

const header = JSON.stringify({ version: 2, width: 80, height: 24 });

describe('asciicast reader', () => {
  it('skips a torn last line and says so', () => {
    const cast = parseCast(`${header}\n[0.5, "o", "one\\r\\n"]\n[1.25, "m", "$ ls"]\n[2.0, "o", "tw`);
    expect(cast.torn).toBe(true);
    expect(cast.events).toEqual([
      { time: 0.5, code: 'o', data: 'one\r\n' },
      { time: 1.25, code: 'm', data: '$ ls' },
    ]);
    expect(cast.duration).toBe(1.25);
    expect(castMarkers(cast)).toEqual([{ time: 1.25, label: '$ ls' }]);
  });

  it('scanCast finds the same markers and duration as a full parse, torn or not', () => {
    const text = `${header}\n[0.5, "o", "one"]\n[1.25,"m","$ ls [held 1]"]\n[1.5, "o", "m"]\n[ 2.0 , "m" , "$ pwd"]\n[2.5, "o", "x"]\n`;
    for (const variant of [text, `${text}[3.0, "o", "tor`]) {
      const full = parseCast(variant);
      expect(scanCast(variant)).toEqual({ header: full.header, markers: castMarkers(full), duration: full.duration, torn: full.torn });
    }
    expect(scanCast(`${text}[3.0, "o", "tor`).torn).toBe(true);
  });

  it('accepts a complete last line without a newline, and an empty recording', () => {
    expect(parseCast(`${header}\n[0.5, "o", "x"]`)).toMatchObject({ torn: false, events: [{ data: 'x' }] });
    expect(parseCast(`${header}\n`)).toMatchObject({ torn: false, events: [], duration: 0 });
  });

  it('names a broken line before the end, and refuses what is not asciicast v2', () => {
    expect(() => parseCast(`${header}\n[0.5, "o", "x"]\nnot json\n[1, "o", "y"]\n`, 'a.cast')).toThrow(new CastFormatError('a.cast: line 3 is not an asciicast event'));
    expect(() => parseCast('{"version": 1, "width": 80, "height": 24}\n', 'b.cast')).toThrow(/b.cast: not an asciicast v2 file/);
    expect(() => parseCast('hello\n', 'c.cast')).toThrow(/c.cast: line 1 is not an asciicast header/);
  });
});

describe('markers', () => {
  it('have one format: $ COMMAND [STATUS]', () => {
    expect(commandMarker('kubectl delete pod web-1', 'held 3f2a')).toBe('$ kubectl delete pod web-1 [held 3f2a]');
    expect(commandMarker('echo a\necho b')).toBe('$ echo a echo b');
    expect(parseMarker('$ kubectl delete pod web-1 [held 3f2a]')).toEqual({ kind: 'command', command: 'kubectl delete pod web-1', status: 'held 3f2a' });
    expect(parseMarker('$ echo [x] y')).toEqual({ kind: 'command', command: 'echo [x] y' });
    expect(parseMarker('session failed: masker failure')).toEqual({ kind: 'event', label: 'session failed: masker failure' });
  });
});

describe('terminal player', () => {
  const cast = parseCast(`${header}\n[0.01, "o", "a"]\n[0.02, "m", "$ one"]\n[0.03, "o", "b"]\n[30, "o", "c"]\n[30.01, "m", "$ two"]\n[30.02, "o", "d"]\n`);

  it('caps idle gaps at --idle-limit', () => {
    expect(schedule(cast.events, 0.5).map((item) => Number(item.at.toFixed(3)))).toEqual([0.01, 0.02, 0.03, 0.53, 0.54, 0.55]);
  });

  it('plays with real timing at --speed', async () => {
    let written = '';
    const player = new TerminalPlayer(cast, { speed: 2, idleLimit: 0.2, write: (text) => (written += text) });
    expect(player.duration).toBeCloseTo(0.125, 3);
    const started = Date.now();
    expect(await player.play()).toBe('finished');
    expect(written).toBe('abcd');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('pauses on space, jumps to the next marker with ], quits with q', async () => {
    let written = '';
    const labels: string[] = [];
    const player = new TerminalPlayer(cast, { write: (text) => (written += text), onMarker: (label) => labels.push(label) });
    const done = player.play();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(written).toBe('ab');
    player.togglePause();
    expect(player.paused).toBe(true);
    expect(player.nextMarker()).toBe(true);
    expect(written).toBe('abc');
    expect(labels).toEqual(['$ two']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(written).toBe('abc');
    player.togglePause();
    expect(await done).toBe('finished');
    expect(written).toBe('abcd');
    expect(player.nextMarker()).toBe(false);

    const quitting = new TerminalPlayer(cast, { write: () => {} });
    const outcome = quitting.play();
    quitting.quit();
    expect(await outcome).toBe('quit');
  });
});
