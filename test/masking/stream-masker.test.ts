/**
 * The masker on its own: every corpus sample whole, split at every byte boundary, released by the
 * hold timer at every byte boundary, one byte at a time, wrapped in ANSI colour with escapes inside
 * the secret, and surrounded by multi-byte UTF-8. A leak fails with the sample's name.
 */
import { describe, expect, it } from 'vitest';
import { buildRules } from '../../src/server/masking/rules.js';
import { SecretValueRegistry } from '../../src/server/masking/secret-values.js';
import { MaskingCatalog, MaskingStream, StreamMasker, maskText } from '../../src/server/masking/stream-masker.js';
import { corpus, findLeak, negatives, type SecretSample } from './corpus.js';

const catalog = new MaskingCatalog(buildRules());

function maskWhole(text: string | Buffer, cat = catalog): Buffer {
  const stream = new MaskingStream(cat);
  return Buffer.concat([stream.push(Buffer.from(text)), stream.flush()]);
}

function maskPieces(pieces: Buffer[], options: { releaseBetween?: boolean } = {}): Buffer {
  const stream = new MaskingStream(catalog);
  const out: Buffer[] = [];
  for (const piece of pieces) {
    out.push(stream.push(piece));
    if (options.releaseBetween) out.push(stream.release());
  }
  out.push(stream.flush());
  return Buffer.concat(out);
}

function expectNoLeaks(leaks: string[]): void {
  expect(leaks, leaks.slice(0, 10).join('\n')).toEqual([]);
}

/** Escapes inside each secret (bold on/off in the middle) and colour around every line. */
function colourise(sample: SecretSample): SecretSample {
  let text = sample.text;
  for (const secret of sample.secrets) {
    const mid = Math.floor(secret.length / 2);
    text = text.split(secret).join(`${secret.slice(0, mid)}\x1b[1m\x1b[22m${secret.slice(mid)}`);
  }
  text = text
    .split('\n')
    .map((line) => (line ? `\x1b[38;5;208m${line}\x1b[0m\x1b[K` : line))
    .join('\n');
  return { ...sample, text };
}

describe('corpus', () => {
  it('has at least 60 samples in at least 12 forms', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    expect(new Set(corpus.map((sample) => sample.form)).size).toBeGreaterThanOrEqual(12);
    for (const sample of corpus) expect(sample.secrets.length, sample.name).toBeGreaterThan(0);
  });

  it('the leak check catches every sample when nothing is masked (so the tests below can fail)', () => {
    const missed = corpus.filter((sample) => findLeak(sample, sample.text) === undefined).map((sample) => sample.name);
    expect(missed).toEqual([]);
    const coloured = corpus.filter((sample) => findLeak(sample, colourise(sample).text) === undefined).map((sample) => sample.name);
    expect(coloured).toEqual([]);
  });
});

describe('StreamMasker on the secret corpus', () => {
  it('hides every sample passed whole, with a placeholder naming what was hidden', () => {
    const leaks: string[] = [];
    for (const sample of corpus) {
      const out = maskWhole(sample.text).toString('utf8');
      const leak = findLeak(sample, out);
      if (leak) leaks.push(leak);
      expect(out, sample.name).toMatch(/\[masked:[a-z0-9.-]+\]/);
      // line structure stays: same number of lines
      expect(out.split('\n').length, sample.name).toBe(sample.text.split('\n').length);
    }
    expectNoLeaks(leaks);
  });

  it('hides every sample split at every byte boundary (property)', () => {
    const started = performance.now();
    const leaks: string[] = [];
    for (const sample of corpus) {
      const bytes = Buffer.from(sample.text);
      const whole = maskWhole(bytes);
      for (let i = 1; i < bytes.length; i++) {
        const out = maskPieces([bytes.subarray(0, i), bytes.subarray(i)]);
        const leak = findLeak(sample, out);
        if (leak) leaks.push(`${leak} at byte ${i}`);
        else if (!out.equals(whole)) leaks.push(`${sample.name}: split at byte ${i} masked differently: ${JSON.stringify(out.toString())}`);
        if (leaks.length > 10) break;
      }
    }
    expectNoLeaks(leaks);
    console.log(`every-boundary property: ${corpus.reduce((n, s) => n + Buffer.byteLength(s.text) - 1, 0)} splits in ${Math.round(performance.now() - started)} ms`);
  });

  it('hides every sample when the hold timer releases output at every byte boundary', () => {
    const leaks: string[] = [];
    for (const sample of corpus) {
      const bytes = Buffer.from(sample.text);
      for (let i = 1; i < bytes.length; i++) {
        const leak = findLeak(sample, maskPieces([bytes.subarray(0, i), bytes.subarray(i)], { releaseBetween: true }));
        if (leak) leaks.push(`${leak} (timer release at byte ${i})`);
        if (leaks.length > 10) break;
      }
    }
    expectNoLeaks(leaks);
  });

  it('hides every sample fed one byte at a time and in random chunks', () => {
    const leaks: string[] = [];
    let seed = 42;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const sample of corpus) {
      const bytes = Buffer.from(sample.text);
      const single = [...bytes].map((byte) => Buffer.from([byte]));
      const leak = findLeak(sample, maskPieces(single));
      if (leak) leaks.push(`${leak} (one byte at a time)`);
      for (let round = 0; round < 20; round++) {
        const pieces: Buffer[] = [];
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + Math.floor(random() * 40);
          pieces.push(bytes.subarray(at, at + size));
          at += size;
        }
        const chunked = findLeak(sample, maskPieces(pieces, { releaseBetween: round % 2 === 1 }));
        if (chunked) leaks.push(`${chunked} (random chunks, round ${round})`);
      }
    }
    expectNoLeaks(leaks);
  });

  it('hides every sample wrapped in ANSI colour with escape sequences inside the secret, at every boundary', () => {
    const leaks: string[] = [];
    for (const plain of corpus) {
      const sample = colourise(plain);
      const bytes = Buffer.from(sample.text);
      const whole = maskWhole(bytes);
      const leak = findLeak(sample, whole);
      if (leak) leaks.push(`${leak} (coloured)`);
      // colour codes survive: the reset after each line is still there
      expect(whole.toString(), sample.name).toContain('\x1b[0m');
      for (let i = 1; i < bytes.length; i += 3) {
        const split = findLeak(sample, maskPieces([bytes.subarray(0, i), bytes.subarray(i)]));
        if (split) leaks.push(`${split} (coloured, split at ${i})`);
        if (leaks.length > 10) break;
      }
    }
    expectNoLeaks(leaks);
  });

  it('hides every sample surrounded by multi-byte UTF-8, split inside the characters, and keeps the UTF-8 intact', () => {
    const leaks: string[] = [];
    for (const plain of corpus) {
      let text = `日本語のテキスト → ✓\n${plain.text}🙂 é\n`;
      // right after each secret that ends a token (inside a JWT it would change what the token is)
      for (const secret of plain.secrets) text = text.split(secret).reduce((joined, part) => (/^[\s"'@,;|]/.test(part) ? `${joined}${secret}🙂✓${part}` : `${joined}${secret}${part}`));
      const sample = { ...plain, text };
      const bytes = Buffer.from(text);
      const whole = maskWhole(bytes);
      expect(whole.toString('utf8'), sample.name).toMatch(/^日本語のテキスト → ✓\n[^]*🙂 é\n$/);
      expect(whole.toString('utf8'), sample.name).not.toContain('\ufffd');
      for (let i = 1; i < bytes.length; i += 2) {
        const out = maskPieces([bytes.subarray(0, i), bytes.subarray(i)]);
        const leak = findLeak(sample, out);
        if (leak) leaks.push(`${leak} (utf-8, split at ${i})`);
        else if (!out.equals(whole)) leaks.push(`${sample.name}: utf-8 split at ${i} masked differently`);
        if (leaks.length > 10) break;
      }
    }
    expectNoLeaks(leaks);
  });
});

describe('StreamMasker on look-alikes', () => {
  it('keeps git SHAs, UUIDs, digests, resourceVersions, ConfigMap base64 and long hostnames readable', () => {
    const falsePositives: string[] = [];
    for (const sample of negatives) {
      const out = maskWhole(sample.text).toString('utf8');
      if (out !== sample.text) falsePositives.push(`${sample.name}: ${JSON.stringify(out)}`);
    }
    const rate = falsePositives.length / negatives.length;
    console.log(`masking false positives: ${falsePositives.length}/${negatives.length} look-alikes (${(rate * 100).toFixed(1)}%)${falsePositives.length ? '\n  ' + falsePositives.join('\n  ') : ''}`);
    expect(negatives.length).toBeGreaterThanOrEqual(30);
    expect(rate).toBeLessThanOrEqual(0.05);
  });

  it('passes output without secrets through byte for byte, including binary and colour', () => {
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const stream = new MaskingStream(catalog);
    const out = Buffer.concat([stream.push(binary), stream.flush()]);
    expect(out.equals(binary)).toBe(true);
    const coloured = Buffer.from('\x1b[1;32mok\x1b[0m \x1b]0;title\x07done\r\n');
    expect(maskWhole(coloured).equals(coloured)).toBe(true);
  });
});

describe('holding back', () => {
  it('releases a keystroke echo that cannot start a secret at once', () => {
    const stream = new MaskingStream(catalog);
    expect(stream.push(Buffer.from('bash-5.2$ ')).toString()).toBe('bash-5.2$ ');
    for (const key of 'ls /usr/') expect(stream.push(Buffer.from(key)).toString(), `echo of "${key}"`).toBe(key);
    expect(stream.push(Buffer.from('\r\n')).toString()).toMatch(/\r\n$/);
    expect(stream.heldBytes).toBe(0);
  });

  it('releases keystroke echo at once while typing a command line with keywords, and holds only a secret that starts', () => {
    const stream = new MaskingStream(catalog);
    stream.push(Buffer.from('bash-5.2$ '));
    // "secret"/"token" are keywords, "x"/"g"/"-" may start a fixed prefix (xoxb-, ghp_, -----BEGIN):
    // none of it can be a secret yet, so each echo passes at once.
    for (const key of 'kubectl get secret x -o yaml --token=') expect(stream.push(Buffer.from(key), true).toString(), `echo of "${key}"`).toBe(key);
    expect(stream.heldBytes).toBe(0);
    // the value after --token= can be the secret: held, then hidden by a timed release
    expect(stream.push(Buffer.from('h'), true).toString()).toBe('');
    expect(stream.push(Buffer.from('u'), true).toString()).toBe('');
    expect(stream.release().toString()).toBe('[masked:secret-assignment]');
    expect(stream.push(Buffer.from('nter2'), true).toString()).toBe('');
    expect(Buffer.concat([stream.push(Buffer.from('\r\n')), stream.flush()]).toString()).toBe('\r\n');
  });

  it('holds a typed fixed prefix only from the prefix on, and hides the token typed after it', () => {
    const stream = new MaskingStream(catalog);
    stream.push(Buffer.from('$ echo '));
    let shown = '';
    for (const key of 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB') {
      shown += stream.push(Buffer.from(key), true).toString();
      shown += stream.release().toString();
    }
    shown += Buffer.concat([stream.push(Buffer.from('\r\n')), stream.flush()]).toString();
    expect(shown).toBe('ghp[masked:github-token]\r\n');
  });

  it('without input, a tail that may start a fixed prefix is still held (the placeholder stays whole)', () => {
    const stream = new MaskingStream(catalog);
    expect(stream.push(Buffer.from('token list: g')).toString()).toBe('token list: ');
    expect(stream.push(Buffer.from('hp_0123456789abcdefghijklmnopqrstuvwxyzAB\n')).toString()).toBe('[masked:github-token]\n');
  });

  it('holds a URL password that starts with digits (a port looks the same until the @)', () => {
    const stream = new MaskingStream(catalog);
    expect(stream.push(Buffer.from('postgres://app:1234')).toString()).toBe('postgres://app:');
    expect(stream.push(Buffer.from('5678x@db:5432/shop\n')).toString()).toBe('[masked:url-password]@db:5432/shop\n');
  });

  it('passes a huge single line of base64 intact, with timed releases in between', () => {
    let seed = 99;
    const bytes = Buffer.from(Array.from({ length: 1_500_000 }, () => (seed = (seed * 16807) % 2147483647) & 0xff));
    const line = Buffer.from(bytes.toString('base64'));
    const stream = new MaskingStream(catalog);
    const out: Buffer[] = [];
    for (let at = 0, i = 0; at < line.length; at += 4096, i++) {
      out.push(stream.push(line.subarray(at, at + 4096)));
      if (i % 7 === 0) out.push(stream.release());
    }
    out.push(stream.flush());
    const body = Buffer.concat(out);
    expect(body.length).toBe(line.length);
    expect(body.equals(line)).toBe(true);
  });

  it('holds a possible partial secret at most maxHoldBytes', () => {
    const stream = new MaskingStream(catalog, { maxHoldBytes: 1024 });
    stream.push(Buffer.from('token='));
    const out = stream.push(Buffer.from('a'.repeat(2000)));
    expect(stream.heldBytes).toBe(0);
    expect(out.toString()).toContain('[masked:secret-assignment]');
  });

  it('the timer releases held output after holdMs through the emitter, masked', async () => {
    const masker = new StreamMasker(catalog, { holdMs: 20 });
    const emitted: string[] = [];
    masker.setEmitter(
      (_stream, chunk) => emitted.push(chunk.toString()),
      (error) => emitted.push(`failed: ${String(error)}`),
    );
    const first = masker.push(1, Buffer.from('printf: eyJhbGciOiJIUzI1NiJ9.eyJz'));
    expect(first.toString()).toBe('printf: ');
    const started = Date.now();
    while (emitted.length === 0 && Date.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(Date.now() - started).toBeLessThan(500);
    expect(emitted.join('')).toBe('[masked:jwt]');
    // the rest of the token, written later, stays hidden and adds no second placeholder
    expect(masker.push(1, Buffer.from('dWIiOiIxMjM0In0.c2lnbmF0dXJlc2lnbmF0dXJl\n')).toString()).toBe('\n');
    masker.dispose();
  });
});

describe('exact values', () => {
  it('hides registered values in plain, base64, base64url and URL-encoded form, also inside a longer base64 blob', () => {
    const values = new SecretValueRegistry();
    const value = 'p@ss/word+with spaces?';
    values.add(value, 'kube-credential');
    const cat = new MaskingCatalog(buildRules(), values);
    const b64 = Buffer.from(value).toString('base64');
    const forms = [value, b64, Buffer.from(value).toString('base64url'), encodeURIComponent(value), Buffer.from(`user:${value}\n`).toString('base64')];
    for (const form of forms) {
      const out = maskWhole(`value: <${form}>\n`, cat).toString();
      expect(out, form).toContain('[masked:kube-credential]');
      expect(out, form).not.toContain(form.slice(4, 16));
    }
    // split at every boundary, including one byte of the value per chunk
    const text = Buffer.from(`echo ${value} done\n`);
    for (let i = 1; i < text.length; i++) {
      const stream = new MaskingStream(cat);
      const out = Buffer.concat([stream.push(text.subarray(0, i)), stream.release(), stream.push(text.subarray(i)), stream.flush()]).toString();
      expect(out, `split at ${i}`).not.toContain('ss/wor');
    }
  });

  it('picks up values added after the masker was built', () => {
    const values = new SecretValueRegistry();
    const cat = new MaskingCatalog(buildRules(), values);
    const stream = new MaskingStream(cat);
    expect(stream.push(Buffer.from('late-value-123\n')).toString()).toBe('late-value-123\n');
    values.add('late-value-123', 'late');
    expect(stream.push(Buffer.from('late-value-123\n')).toString()).toBe('[masked:late]\n');
  });

  it('refuses values too short to mask safely', () => {
    expect(() => new SecretValueRegistry().add('abc', 'x')).toThrow(/at least 6/);
  });
});

describe('rules from config', () => {
  it('adds a rule, turns a shipped one off and allows listed values', () => {
    const cat = new MaskingCatalog(
      buildRules({
        rules: [
          { name: 'acme-ticket', pattern: 'ACME-([0-9]{6})', group: 1, keywords: ['acme-'] },
          { name: 'jwt', enabled: false },
        ],
        allow: ['AKIAIOSFODNN7EXAMPLE', '/^ghp_0{36}$/'],
      }),
    );
    const out = maskWhole('ACME-123456 eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4eHh4eHgifQ.sig AKIAIOSFODNN7EXAMPLE ghp_000000000000000000000000000000000000\n', cat).toString();
    expect(out).toBe('ACME-[masked:acme-ticket] eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4eHh4eHgifQ.sig AKIAIOSFODNN7EXAMPLE ghp_000000000000000000000000000000000000\n');
  });

  it('names a rule whose pattern does not compile', () => {
    expect(() => buildRules({ rules: [{ name: 'broken', pattern: '(unclosed' }] })).toThrow(/masking rule "broken"/);
  });
});

describe('maskText', () => {
  it('hides secrets in command lines and keeps the rest', () => {
    expect(maskText(catalog, 'mysql -u root --password=hunter2 shop')).toBe('mysql -u root --password=[masked:secret-assignment] shop');
    expect(maskText(catalog, 'curl -H "Authorization: Bearer abcdefghijklmnop" https://x')).toBe('curl -H "Authorization: Bearer [masked:authorization-header]" https://x');
    expect(maskText(catalog, 'kubectl get pods -n default')).toBe('kubectl get pods -n default');
  });
});
