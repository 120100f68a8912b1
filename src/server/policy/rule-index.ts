/**
 * The policy engine's prefilter: for every field a rule can match on (connection, user, groups,
 * kind of request, verb, resource, namespace, names, privileged, program), which rules could match
 * a given value, as bitsets over rule positions, built once from the compiled rules. ANDing the
 * bitsets of a request's values leaves the few rules worth testing, so a decision costs a handful
 * of map lookups instead of a walk over every rule.
 * It only narrows: every rule it keeps is still tested in full by the caller, and it must never
 * drop a rule that could match (a value it has no entry for falls back to the rules that do not
 * look at that field; test/policy/differential.test.ts holds it to the plain scan's decisions).
 */
import { baseName } from './command-pattern.js';
import { ANY_NAMESPACE, type PolicyFacts } from './facts.js';

/** What a rule's match needs, field by field (undefined: the rule does not look at the field). */
export interface RuleKeys {
  connections?: ReadonlySet<string>;
  users?: ReadonlySet<string>;
  groups?: ReadonlySet<string>;
  needsKube: boolean;
  needsCommand: boolean;
  verbs?: ReadonlySet<string>;
  /** `any`: `*` (any known resource); `whole`: canonical names; `sub`: resource → subresources. */
  resources?: { any: boolean; whole: ReadonlySet<string>; sub: ReadonlyMap<string, ReadonlySet<string>> };
  namespaces?: ReadonlySet<string>;
  names?: ReadonlySet<string>;
  privileged?: boolean;
  /** Program base names of the rule's command patterns; `glob`: some pattern's program is a glob. */
  programs?: { exact: ReadonlySet<string>; glob: boolean };
}

type Bits = Uint32Array;

/** One field: the rules that ignore it, and per value the rules that ignore it or name the value. */
class Field {
  readonly free: Bits;
  readonly byValue = new Map<string, Bits>();

  constructor(
    readonly words: number,
    keysOf: (index: number) => Iterable<string> | undefined,
    count: number,
  ) {
    this.free = new Uint32Array(words);
    const named: [number, Iterable<string>][] = [];
    for (let index = 0; index < count; index++) {
      const keys = keysOf(index);
      if (keys === undefined) set(this.free, index);
      else named.push([index, keys]);
    }
    for (const [index, keys] of named) {
      for (const key of keys) {
        let bits = this.byValue.get(key);
        if (!bits) this.byValue.set(key, (bits = this.free.slice()));
        set(bits, index);
      }
    }
  }

  of(value: string): Bits {
    return this.byValue.get(value) ?? this.free;
  }
}

function set(bits: Bits, index: number): void {
  bits[index >>> 5]! |= 1 << (index & 31);
}

function and(target: Bits, other: Bits): void {
  for (let word = 0; word < target.length; word++) target[word]! &= other[word]!;
}

function or(target: Bits, other: Bits): void {
  for (let word = 0; word < target.length; word++) target[word]! |= other[word]!;
}

export class RuleIndex {
  /** By kind of request: bit 1 a Kubernetes operation, bit 2 a command. */
  readonly #kinds: Bits[];
  readonly #connection: Field;
  readonly #user: Field;
  readonly #groups: Field;
  readonly #verb: Field;
  readonly #namespace: Field;
  readonly #names: Field;
  readonly #program: Field;
  /** Resources: rules that ignore them; per canonical name also `*` rules and those naming it. */
  readonly #resourceFree: Bits;
  readonly #resourceKnown: Bits;
  readonly #resourceWhole = new Map<string, Bits>();
  readonly #resourceSub = new Map<string, Map<string, Bits>>();
  readonly #privileged: [Bits, Bits];
  /** Scratch space: decisions are synchronous, so one pair per index is enough. */
  readonly #candidates: Bits;
  readonly #scratch: Bits;

  constructor(keys: readonly RuleKeys[]) {
    const count = keys.length;
    const words = Math.ceil(count / 32);
    this.#kinds = [0, 1, 2, 3].map((kind) => {
      const bits = new Uint32Array(words);
      keys.forEach((rule, index) => {
        if ((!rule.needsKube || kind & 1) && (!rule.needsCommand || kind & 2)) set(bits, index);
      });
      return bits;
    });
    this.#connection = new Field(words, (index) => keys[index]!.connections, count);
    this.#user = new Field(words, (index) => keys[index]!.users, count);
    this.#groups = new Field(words, (index) => keys[index]!.groups, count);
    this.#verb = new Field(words, (index) => keys[index]!.verbs, count);
    this.#namespace = new Field(words, (index) => keys[index]!.namespaces, count);
    this.#names = new Field(words, (index) => keys[index]!.names, count);
    // A glob program may match any name: such rules are kept for every program, like free ones.
    this.#program = new Field(words, (index) => (keys[index]!.programs?.glob ? undefined : keys[index]!.programs?.exact), count);

    this.#resourceFree = new Uint32Array(words);
    this.#resourceKnown = new Uint32Array(words);
    keys.forEach((rule, index) => {
      if (!rule.resources) {
        set(this.#resourceFree, index);
        set(this.#resourceKnown, index);
      } else if (rule.resources.any) set(this.#resourceKnown, index);
    });
    keys.forEach((rule, index) => {
      if (!rule.resources || rule.resources.any) return;
      for (const resource of rule.resources.whole) {
        let bits = this.#resourceWhole.get(resource);
        if (!bits) this.#resourceWhole.set(resource, (bits = this.#resourceKnown.slice()));
        set(bits, index);
      }
      for (const [resource, subresources] of rule.resources.sub) {
        let bySub = this.#resourceSub.get(resource);
        if (!bySub) this.#resourceSub.set(resource, (bySub = new Map()));
        for (const subresource of subresources) {
          let bits = bySub.get(subresource);
          if (!bits) bySub.set(subresource, (bits = new Uint32Array(words)));
          set(bits, index);
        }
      }
    });
    this.#privileged = [false, true].map((privileged) => {
      const bits = new Uint32Array(words);
      keys.forEach((rule, index) => {
        if (rule.privileged === undefined || rule.privileged === privileged) set(bits, index);
      });
      return bits;
    }) as [Bits, Bits];
    this.#candidates = new Uint32Array(words);
    this.#scratch = new Uint32Array(words);
  }

  /**
   * The rules that could match these facts, as a bitset over rule positions (a view into scratch
   * space: valid until the next call). A superset of the matching rules, never a subset.
   */
  candidates(facts: PolicyFacts): Bits {
    const candidates = this.#candidates;
    const kube = facts.kube;
    const command = facts.command;
    candidates.set(this.#kinds[(kube ? 1 : 0) | (command ? 2 : 0)]!);
    and(candidates, this.#connection.of(facts.connection));
    and(candidates, this.#user.of(facts.user));
    const scratch = this.#scratch;
    scratch.set(this.#groups.free);
    for (const group of facts.groups) {
      const bits = this.#groups.byValue.get(group);
      if (bits) or(scratch, bits);
    }
    and(candidates, scratch);
    if (kube) {
      and(candidates, this.#verb.of(kube.verb));
      const resource = kube.resource;
      if (resource === undefined) and(candidates, this.#resourceFree);
      else {
        scratch.set(this.#resourceWhole.get(resource) ?? this.#resourceKnown);
        if (kube.subresource !== undefined) {
          const bits = this.#resourceSub.get(resource)?.get(kube.subresource);
          if (bits) or(scratch, bits);
        }
        and(candidates, scratch);
      }
      const namespace = kube.namespace;
      // All namespaces (-A) match every `namespaces` rule; none (cluster-scoped) only rules without one.
      if (namespace === undefined) and(candidates, this.#namespace.free);
      else if (namespace !== ANY_NAMESPACE) and(candidates, this.#namespace.of(namespace));
      const names = kube.names;
      // Unknown names (selectors, --all) may include any name: every rule stays.
      if (names !== undefined) {
        scratch.set(this.#names.free);
        for (const name of names) {
          const bits = this.#names.byValue.get(name);
          if (bits) or(scratch, bits);
        }
        and(candidates, scratch);
      }
      and(candidates, this.#privileged[kube.privileged ? 1 : 0]);
    }
    if (command) and(candidates, this.#program.of(baseName(command.program)));
    return candidates;
  }
}
