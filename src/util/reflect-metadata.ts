/**
 * reflect-metadata: the smallest `Reflect.getMetadata` family that tsyringe (a dependency of
 * @peculiar/x509) checks for at load time. The real `reflect-metadata` package is not installed;
 * tsyringe only reads/writes per-target metadata, which a WeakMap covers.
 *
 * Import it before `@peculiar/x509`. It must never replace an existing implementation.
 */
type Key = unknown;
const store = new WeakMap<object, Map<Key, unknown>>();

interface ReflectWithMetadata {
  getMetadata?: (key: Key, target: object) => unknown;
  getOwnMetadata?: (key: Key, target: object) => unknown;
  defineMetadata?: (key: Key, value: unknown, target: object) => void;
  hasMetadata?: (key: Key, target: object) => boolean;
  metadata?: (key: Key, value: unknown) => (target: object) => void;
}

const reflect = Reflect as unknown as ReflectWithMetadata;

if (typeof reflect.getMetadata !== 'function') {
  const own = (key: Key, target: object): unknown => store.get(target)?.get(key);
  const inherited = (key: Key, target: object | null): unknown => {
    for (let t = target; t !== null && t !== undefined; t = Object.getPrototypeOf(t) as object | null) {
      const map = store.get(t);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  reflect.getOwnMetadata = own;
  reflect.getMetadata = inherited;
  reflect.hasMetadata = (key, target) => inherited(key, target) !== undefined;
  reflect.defineMetadata = (key, value, target) => {
    let map = store.get(target);
    if (!map) store.set(target, (map = new Map()));
    map.set(key, value);
  };
  reflect.metadata = (key, value) => (target) => reflect.defineMetadata!(key, value, target);
}

export {};
