import { describe, expect, it } from 'vitest';
import { RecentOutput } from '../../src/server/watch/recent-output.js';

describe('RecentOutput', () => {
  it('keeps everything while under its bound', () => {
    const recent = new RecentOutput(100);
    recent.push(Buffer.from('a\nb'));
    recent.push(Buffer.from('c'));
    expect(recent.snapshot().toString()).toBe('a\nbc');
  });

  it('never holds more than its bound, and starts a trimmed snapshot at a line start', () => {
    const recent = new RecentOutput(16);
    for (let i = 0; i < 50; i += 1) recent.push(Buffer.from(`line ${i}\n`));
    expect(recent.size).toBe(16);
    expect(recent.snapshot().toString()).toBe('line 49\n');
    const huge = new RecentOutput(8);
    huge.push(Buffer.alloc(1000, 'x'));
    expect(huge.size).toBe(8);
  });
});
