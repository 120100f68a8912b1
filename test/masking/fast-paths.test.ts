/**
 * The masker's fast paths, adversarially: a chunk with nothing in it passes as the same Buffer,
 * yet a secret whose keyword or context straddles the point where the fast path decided
 * "nothing here" is still hidden; the history a Secret's kind is found in, and the line context
 * a later chunk continues, move on exactly as on the slow path; the clean-line memory never lets
 * a repeated line's secret through.
 */
import { describe, expect, it } from 'vitest';
import { buildRules } from '../../src/server/masking/rules.js';
import { SecretValueRegistry } from '../../src/server/masking/secret-values.js';
import { MaskingCatalog, MaskingStream } from '../../src/server/masking/stream-masker.js';

const values = new SecretValueRegistry();
values.add('k8s-cluster-credential-0123456789', 'kube-credential');
const catalog = new MaskingCatalog(buildRules(), values);

function mask(pieces: (string | Buffer)[]): string {
  const stream = new MaskingStream(catalog);
  const out = pieces.map((piece) => stream.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece, 'utf8')));
  out.push(stream.flush());
  return Buffer.concat(out).toString('utf8');
}

const logs = (n: number): string =>
  Array.from({ length: n }, (_, i) => `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}Z INFO  GET /api/v1/orders/${i} status=200 duration=${i % 97}ms\n`).join('');

describe('fast paths', () => {
  it('passes a chunk without keywords as the same Buffer, also in a line continued from the last chunk', () => {
    const stream = new MaskingStream(catalog);
    const first = Buffer.from(logs(30));
    expect(stream.push(first)).toBe(first);
    const partial = Buffer.from('2024-05-01T10:01:00Z INFO  GET /api/v1/ord');
    expect(stream.push(partial)).toBe(partial);
    const rest = Buffer.from(`ers/7 status=200\n${logs(5)}`);
    expect(stream.push(rest)).toBe(rest);
    expect(stream.heldBytes).toBe(0);
  });

  it('hides a secret whose keyword starts in a chunk that passed (the keyword split at every position)', () => {
    const secret = 'hunter2-Xq9';
    const line = `${logs(3)}connecting with password=${secret} now\n`;
    const keywordAt = line.indexOf('password');
    for (let cut = keywordAt - 3; cut <= keywordAt + 'password='.length + 2; cut++) {
      const out = mask([line.slice(0, cut), line.slice(cut)]);
      expect(out, `cut at ${cut}`).not.toContain(secret);
      expect(out).toContain('[masked:secret-assignment]');
    }
  });

  it('hides a secret that starts exactly at a chunk boundary after a chunk that passed', () => {
    const tokens = ['ghp_0123456789abcdefghijABCDEFGHIJ012345', 'AKIAIOSFODNN7QWERTYU', 'k8s-cluster-credential-0123456789'];
    for (const token of tokens) {
      for (const lead of [logs(2), `${logs(2)}value: `, `${logs(2)}(`]) {
        const out = mask([lead, `${token} done\n`]);
        expect(out, `${lead.slice(-10)} | ${token}`).not.toContain(token);
        // And with the token's own first char or two in the chunk that passed.
        // Nothing of it shows, not even its first chars: the output is the one of the unsplit text.
        const whole = mask([`${lead}${token} done\n`]);
        for (let k = 1; k <= 3; k++) expect(mask([lead + token.slice(0, k), `${token.slice(k)} done\n`])).toBe(whole);
      }
    }
  });

  it('hides a secret with colour sequences inside it after chunks that passed', () => {
    const out = mask([logs(4), 'export API_TOKEN=\x1b[1mab', 'cd\x1b[22mef-0123456789\x1b[0m\n', logs(2)]);
    expect(out).not.toMatch(/ab(\x1b\[[0-9;]*m)*cd(\x1b\[[0-9;]*m)*ef/);
    expect(out).toContain('[masked:secret-assignment]');
  });

  it('keeps a long line context across chunks that passed: a URL password after 10 KB of the same line', () => {
    const long = 'x'.repeat(10_000);
    const out = mask([`${long} `, `${long} `, 'postgres://app:Sup3rS3cret@db:5432/app\n']);
    expect(out).not.toContain('Sup3rS3cret');
  });

  it('remembers the lines of chunks that passed, where a Secret\'s kind is looked for', () => {
    const head = 'apiVersion: v1\nkind: Secret\n';
    const middle = 'metadata:\n  name: app\n  namespace: prod\n';
    const data = 'data:\n  username: YWRtaW4tdXNlcg==\n';
    expect(mask([head, middle, data])).not.toContain('YWRtaW4tdXNlcg==');
    expect(mask([head.replace('Secret', 'ConfigMap'), middle, data])).toContain('YWRtaW4tdXNlcg==');
    // A new document in a chunk that passed: the earlier Secret's kind is not this one's.
    const next = '---\napiVersion: v1\nmetadata:\n  name: settings\n';
    const config = 'data:\n  greeting: hello-there\nkind: ConfigMap\n';
    expect(mask([head, next, config])).toContain('greeting: hello-there');
    // The kind in the remembered lines, the data block after an empty first line of a chunk.
    expect(mask([head, `\n${data}`])).not.toContain('YWRtaW4tdXNlcg==');
    expect(mask([head.replace('Secret', 'ConfigMap'), `\n${data}`])).toContain('YWRtaW4tdXNlcg==');
  });

  it('never lets a repeated line through because it was clean before: pairs, evictions, and lookalikes', () => {
    const pods = Array.from({ length: 5 }, (_, i) => `    - name: DB_PASSWORD\n      value: s3cret-value-${i}\n`).join('');
    const out = mask([pods]);
    for (let i = 0; i < 5; i++) expect(out).not.toContain(`s3cret-value-${i}`);
    // More distinct clean lines than the memory holds, then the repeated ones with secrets between.
    const clean = Array.from({ length: 700 }, (_, i) => `the token rotation ${i} is scheduled\n`).join('');
    const repeated = Array.from({ length: 5 }, (_, i) => `the token rotation 1 is scheduled\ntoken: tok-${i}-abcdef123\n`).join('');
    const out2 = mask([clean, repeated, clean.slice(0, 5000), repeated]);
    for (let i = 0; i < 5; i++) expect(out2).not.toContain(`tok-${i}-abcdef123`);
    expect(out2).toContain('the token rotation 1 is scheduled\n');
    // A line clean before, now incomplete at a chunk end and continued into a secret.
    const out3 = mask(['the token\nthe token', '=abc123secretvalue\n']);
    expect(out3).not.toContain('abc123secretvalue');
  });
});
