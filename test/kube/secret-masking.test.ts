/**
 * Secret masking: adversarial shapes (lists without item kinds, mixed and nested lists, Tables,
 * last-applied annotations, watch streams cut at every byte), and the real kubectl reading and
 * writing masked Secrets against the API double.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LAST_APPLIED_ANNOTATION,
  MASKED_SECRET_VALUE,
  PLACEHOLDER_FORMS,
  SecretMaskingError,
  WatchEventMasker,
  acceptJsonOnly,
  bodyCarriesPlaceholder,
  createWatchMaskingStream,
  maskJsonBody,
  maskResponseBody,
  maskSecrets,
  secretMasking,
} from '../../src/server/kube/secret-masking.js';
import { DB_SECRET_BASE64, DB_SECRET_FORBIDDEN_STRINGS, DB_SECRET_VALUES, startKubeApiDouble, type KubeApiDouble } from '../fixtures/kube-api-double/index.js';

const BINARY = randomBytes(64);
BINARY[0] = 0;
const BINARY_B64 = BINARY.toString('base64');

function secret(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default', uid: 'u-1', resourceVersion: '7' },
    type: 'Opaque',
    data: { ...DB_SECRET_BASE64 },
    ...extra,
  };
}

function lastApplied(object: unknown): string {
  return JSON.stringify(object) + '\n';
}

/** No clear value, no base64 of one, and no binary value survives anywhere in the text. */
function expectNoLeak(text: string) {
  for (const forbidden of [...DB_SECRET_FORBIDDEN_STRINGS, BINARY_B64]) expect(text).not.toContain(forbidden);
}

describe('maskSecrets', () => {
  it('replaces every data and stringData value of a Secret, keeps keys and everything else, leaves the input alone', () => {
    const input = secret('db', { stringData: { extra: DB_SECRET_VALUES.password } });
    const frozen = JSON.stringify(input);
    const { value, masked } = maskSecrets(input);
    expect(value).toEqual({
      ...input,
      data: { username: MASKED_SECRET_VALUE, password: MASKED_SECRET_VALUE },
      stringData: { extra: MASKED_SECRET_VALUE },
    });
    expect(masked).toBe(3);
    expect(JSON.stringify(input)).toBe(frozen);
  });

  it('masks items of a SecretList, which carry no kind of their own', () => {
    const { apiVersion: _a, kind: _k, ...item } = secret('db');
    const list = { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: [item, { ...item, metadata: { name: 'b' } }] };
    const { value, masked } = maskSecrets(list);
    expect(masked).toBe(4);
    expect(value.items.map((i) => Object.keys(i.data))).toEqual([['username', 'password'], ['username', 'password']]);
    expectNoLeak(JSON.stringify(value));
  });

  it('masks Secrets inside a List of mixed kinds and inside nested lists, and leaves ConfigMap data visible', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { greeting: 'hello' } };
    const { apiVersion: _a, kind: _k, ...bare } = secret('inner');
    const nested = {
      kind: 'List',
      apiVersion: 'v1',
      items: [
        configMap,
        secret('a'),
        { kind: 'List', apiVersion: 'v1', items: [{ kind: 'SecretList', apiVersion: 'v1', items: [bare] }, secret('deep')] },
      ],
    };
    const { value, masked } = maskSecrets(nested);
    expect(masked).toBe(6);
    expect(value.items[0]).toEqual(configMap);
    expectNoLeak(JSON.stringify(value));
  });

  it('does not treat items of a plain List (or of a non-Secret list) as Secrets', () => {
    const list = { kind: 'ConfigMapList', apiVersion: 'v1', items: [{ metadata: { name: 'c' }, data: { k: 'visible' } }] };
    expect(maskSecrets(list)).toEqual({ value: list, masked: 0 });
    const plain = { kind: 'List', items: [{ metadata: { name: 'no-kind' }, data: { k: 'visible' } }] };
    expect(maskSecrets(plain).masked).toBe(0);
  });

  it('masks Table rows with includeObject=Object and keeps the cells', () => {
    const table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '5' },
      columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', description: '', priority: 0 }],
      rows: [{ cells: ['db', 'Opaque', '2', '5m'], object: secret('db') }],
    };
    const { value, masked } = maskSecrets(table);
    expect(masked).toBe(2);
    expect(value.rows[0]!.cells).toEqual(['db', 'Opaque', '2', '5m']);
    expect(value.rows[0]!.object.data).toEqual({ username: MASKED_SECRET_VALUE, password: MASKED_SECRET_VALUE });
  });

  it('masks values inside the last-applied annotation, on the Secret and on PartialObjectMetadata rows', () => {
    const applied = lastApplied({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: DB_SECRET_BASE64, stringData: { raw: DB_SECRET_VALUES.username } });
    const annotated = secret('db');
    annotated.metadata = { ...annotated.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: applied, other: 'kept' } } as typeof annotated.metadata;
    const table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      rows: [{ cells: ['db'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: annotated.metadata } }],
    };
    for (const input of [annotated, table]) {
      const text = JSON.stringify(maskSecrets(input).value);
      expectNoLeak(text);
      expect(text).toContain('"other":"kept"');
    }
    const annotation = (maskSecrets(annotated).value.metadata as unknown as { annotations: Record<string, string> }).annotations[LAST_APPLIED_ANNOTATION]!;
    expect(annotation.endsWith('\n')).toBe(true);
    expect(JSON.parse(annotation)).toMatchObject({
      data: { username: MASKED_SECRET_VALUE, password: MASKED_SECRET_VALUE },
      stringData: { raw: MASKED_SECRET_VALUE },
    });
  });

  it('replaces an unparseable last-applied annotation that mentions a Secret, keeps a harmless one', () => {
    const broken = secret('db');
    broken.metadata = { ...broken.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: `{"kind":"Secret","data":{"password":"${DB_SECRET_BASE64.password}"` } } as typeof broken.metadata;
    expectNoLeak(JSON.stringify(maskSecrets(broken).value));
    const configMap = { kind: 'ConfigMap', metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '{"kind":"ConfigMap","data":{"k":"v"}}' } } };
    expect(maskSecrets(configMap)).toEqual({ value: configMap, masked: 0 });
  });

  it('masks empty, binary, non-string and malformed values alike, so neither length nor emptiness shows', () => {
    const odd = secret('odd', { data: { empty: '', binary: BINARY_B64, number: 42, nested: { x: DB_SECRET_BASE64.password } } });
    const { value } = maskSecrets(odd);
    expect(value.data).toEqual({ empty: MASKED_SECRET_VALUE, binary: MASKED_SECRET_VALUE, number: MASKED_SECRET_VALUE, nested: MASKED_SECRET_VALUE });
    expect(maskSecrets(secret('s', { data: DB_SECRET_BASE64.password })).value.data).toBe(MASKED_SECRET_VALUE);
    expect(maskSecrets(secret('n', { data: null })).value.data).toBeNull();
    expectNoLeak(JSON.stringify(value));
  });

  it('masks Secrets inside watch events, including Table events', () => {
    const event = { type: 'MODIFIED', object: secret('db') };
    expectNoLeak(JSON.stringify(maskSecrets(event).value));
    const tableEvent = { type: 'ADDED', object: { kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: [], object: secret('db') }] } };
    expectNoLeak(JSON.stringify(maskSecrets(tableEvent).value));
  });
});

describe('maskJsonBody / maskResponseBody', () => {
  it('returns the very same bytes for a body without Secrets', () => {
    const body = Buffer.from(JSON.stringify({ kind: 'PodList', items: [{ metadata: { name: 'p' } }] }));
    expect(maskJsonBody(body).value).toBe(body);
  });

  it('masks a JSON Secret body and keeps a trailing newline', () => {
    const { value, masked } = maskJsonBody(Buffer.from(JSON.stringify(secret('db')) + '\n'));
    expect(masked).toBe(2);
    expect(value.toString().endsWith('}\n')).toBe(true);
    expectNoLeak(value.toString());
  });

  it('fails closed on unparseable or unmaskable bodies that may hold a Secret', () => {
    expect(() => maskJsonBody(Buffer.from(`{"kind":"Secret","data":{"p":"${DB_SECRET_BASE64.password}"`))).toThrow(SecretMaskingError);
    const protobuf = Buffer.concat([Buffer.from('k8s\0\n\x0c\n\x02v1\x12\x06Secret'), Buffer.from(DB_SECRET_VALUES.password)]);
    expect(() => maskResponseBody(protobuf, 'application/vnd.kubernetes.protobuf')).toThrow(SecretMaskingError);
    expect(maskResponseBody(Buffer.from('Secret log line'), 'text/plain').masked).toBe(0);
    expectNoLeak(maskResponseBody(Buffer.from(JSON.stringify(secret('db'))), 'application/json;as=Table;v=v1;g=meta.k8s.io').value.toString());
  });

  it('acceptJsonOnly drops protobuf and CBOR but keeps Table negotiation', () => {
    expect(acceptJsonOnly('application/vnd.kubernetes.protobuf, */*')).toBe('*/*');
    expect(acceptJsonOnly('application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).toBe('application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    expect(acceptJsonOnly('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io')).toBe('application/json');
    expect(acceptJsonOnly(undefined)).toBe('application/json');
  });
});

describe('WatchEventMasker', () => {
  const events = [
    { type: 'ADDED', object: secret('a', { data: { ...DB_SECRET_BASE64, note: Buffer.from('ünïcödé ✓').toString('base64') } }) },
    { type: 'ADDED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { text: 'brace } and "quote" \\ and ✓' } } },
    { type: 'MODIFIED', object: { kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: ['a'], object: secret('a') }] } },
    { type: 'DELETED', object: secret('a', { data: { binary: BINARY_B64 } }) },
  ];
  const stream = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''));
  const expected = events.map((e) => JSON.stringify(maskSecrets(e).value) + '\n').join('');

  it('masks events cut at every byte boundary, never emitting part of an unmasked event', () => {
    const masker = new WatchEventMasker();
    let out = '';
    for (let i = 0; i < stream.length; i++) {
      const piece = masker.push(stream.subarray(i, i + 1)).toString('latin1');
      expectNoLeak(piece);
      out += piece;
    }
    masker.end();
    expect(Buffer.from(out, 'latin1').toString('utf8')).toBe(expected);
  });

  it('masks random chunkings and events without newline separators', () => {
    const glued = Buffer.from(events.map((e) => JSON.stringify(e)).join(''));
    for (let round = 0; round < 50; round++) {
      const masker = new WatchEventMasker();
      const parts: Buffer[] = [];
      for (let i = 0; i < glued.length; ) {
        const size = 1 + Math.floor(Math.random() * 300);
        parts.push(masker.push(glued.subarray(i, i + size)));
        i += size;
      }
      masker.end();
      expect(Buffer.concat(parts).toString()).toBe(events.map((e) => JSON.stringify(maskSecrets(e).value)).join(''));
    }
  });

  it('fails closed on a truncated event or on non-JSON in the stream', () => {
    const masker = new WatchEventMasker();
    expect(masker.push(stream.subarray(0, 40)).length).toBe(0);
    expect(() => masker.end()).toThrow(SecretMaskingError);
    expect(() => new WatchEventMasker().push(Buffer.from('not json'))).toThrow(SecretMaskingError);
  });

  it('works as a Transform stream', async () => {
    const transform = createWatchMaskingStream();
    const chunks: Buffer[] = [];
    transform.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve, reject) => transform.on('end', resolve).on('error', reject));
    for (let i = 0; i < stream.length; i += 7) transform.write(stream.subarray(i, i + 7));
    transform.end();
    await done;
    expect(Buffer.concat(chunks).toString()).toBe(expected);
  });
});

describe('bodyCarriesPlaceholder', () => {
  const masked = maskSecrets(secret('db')).value;

  it('detects the placeholder in JSON, YAML, escaped JSON, base64-encoded and protobuf bodies', () => {
    expect(bodyCarriesPlaceholder(JSON.stringify(masked))).toBe(true);
    expect(bodyCarriesPlaceholder(YAML.stringify(masked))).toBe(true);
    expect(bodyCarriesPlaceholder(masked)).toBe(true);
    expect(bodyCarriesPlaceholder(`{"kind":"Secret","data":{"p":"${MASKED_SECRET_VALUE.replace(/\//g, '\\/')}"}}`)).toBe(true);
    expect(bodyCarriesPlaceholder(JSON.stringify(secret('x', { data: { p: Buffer.from(MASKED_SECRET_VALUE).toString('base64') } })))).toBe(true);
    expect(bodyCarriesPlaceholder(Buffer.concat([Buffer.from('k8s\0\x12'), PLACEHOLDER_FORMS[2]!, Buffer.from([0xff, 0])]))).toBe(true);
  });

  it('detects it inside a last-applied annotation, even JSON-escaped there', () => {
    const inner = JSON.stringify({ kind: 'Secret', data: { p: MASKED_SECRET_VALUE } }).replace(/\//g, '\\/');
    const patch = { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: inner } } };
    const body = JSON.stringify(patch);
    expect(body).not.toContain(MASKED_SECRET_VALUE);
    expect(bodyCarriesPlaceholder(body)).toBe(true);
    expect(bodyCarriesPlaceholder(patch)).toBe(true);
  });

  it('is offered as one object for the proxy adapter', () => {
    expect(secretMasking.mask(secret('db')).data).toEqual({ username: MASKED_SECRET_VALUE, password: MASKED_SECRET_VALUE });
    expect(secretMasking.carriesPlaceholder(secretMasking.mask(secret('db')))).toBe(true);
    expect(secretMasking.placeholders).toEqual([MASKED_SECRET_VALUE]);
  });

  it('passes bodies with real values, empty bodies and unrelated text', () => {
    expect(bodyCarriesPlaceholder(JSON.stringify(secret('db')))).toBe(false);
    expect(bodyCarriesPlaceholder('')).toBe(false);
    expect(bodyCarriesPlaceholder(undefined)).toBe(false);
    expect(bodyCarriesPlaceholder('{"spec":{"replicas":3}}')).toBe(false);
    expect(bodyCarriesPlaceholder(Buffer.from([0, 1, 2, 3, 255]))).toBe(false);
  });
});

describe('masked Secrets with the real kubectl (against the API double)', () => {
  let double: KubeApiDouble;
  let home: string;
  const kubectl = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('/usr/bin/kubectl', args, { env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: double.kubeconfigPath } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    double = await startKubeApiDouble();
    home = mkdtempSync(join(tmpdir(), 'kube-mask-home-'));
    // The object as a masked session would see it, stored so kubectl reads exactly that.
    const masked = maskSecrets(double.objects.get('secrets', 'default', 'db')!).value;
    double.objects.create('secrets', { ...masked, metadata: { name: 'db-masked', namespace: 'default' } });
  });
  afterAll(async () => {
    await double?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('describe secret decodes the placeholder as base64 and prints sizes only', async () => {
    const result = await kubectl(['describe', 'secret', 'db-masked']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/username:\s+15 bytes/);
    expect(result.stdout).toMatch(/password:\s+15 bytes/);
  });

  it('-o jsonpath and -o yaml print the placeholder', async () => {
    expect((await kubectl(['get', 'secret', 'db-masked', '-o', 'jsonpath={.data.password}'])).stdout).toBe(MASKED_SECRET_VALUE);
    expect(YAML.parse((await kubectl(['get', 'secret', 'db-masked', '-o', 'yaml'])).stdout).data.username).toBe(MASKED_SECRET_VALUE);
  });

  it('applying what was read sends a body bodyCarriesPlaceholder catches (create and patch)', async () => {
    const read = YAML.parse((await kubectl(['get', 'secret', 'db-masked', '-o', 'yaml'])).stdout);
    const manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'copy', namespace: 'default' }, data: read.data };
    const file = join(home, 'copy.yaml');
    writeFileSync(file, YAML.stringify(manifest));
    expect((await kubectl(['apply', '-f', file])).code).toBe(0);
    const create = double.requests.findLast((r) => r.verb === 'create' && r.resource === 'secrets')!;
    expect(bodyCarriesPlaceholder(JSON.stringify(create.body))).toBe(true);

    writeFileSync(file, YAML.stringify({ ...manifest, data: { ...read.data, extra: Buffer.from('new').toString('base64') } }));
    expect((await kubectl(['apply', '-f', file])).code).toBe(0);
    const patch = double.requests.findLast((r) => r.verb === 'patch' && r.resource === 'secrets')!;
    // The strategic merge patch carries only the new key, but the new last-applied annotation holds the placeholder.
    expect(JSON.stringify(patch.body)).toContain('extra');
    expect(bodyCarriesPlaceholder(JSON.stringify(patch.body))).toBe(true);
  });
});
