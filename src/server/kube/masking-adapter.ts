/**
 * The one place the proxy meets the Secret masking module. TEMPORARY shim until
 * secret-masking.ts (owned by K1) lands; then this re-exports its functions.
 */
export interface SecretMasking {
  mask(value: unknown): unknown;
  carriesPlaceholder(value: unknown): boolean;
  placeholders: string[];
}

const PLACEHOLDER = '***hoop-masked***';

function maskSecret(object: Record<string, unknown>): Record<string, unknown> {
  const out = { ...object };
  for (const key of ['data', 'stringData']) {
    const data = out[key];
    if (data && typeof data === 'object') out[key] = Object.fromEntries(Object.keys(data).map((k) => [k, PLACEHOLDER]));
  }
  return out;
}

function walk(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(walk);
  if (!value || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (object.kind === 'Secret') return maskSecret(object);
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, walk(v)]));
}

export const secretMasking: SecretMasking = {
  mask: walk,
  carriesPlaceholder: (value) => JSON.stringify(value ?? null).includes(PLACEHOLDER),
  placeholders: [PLACEHOLDER],
};
