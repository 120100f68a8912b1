/**
 * MaskingCatalog: the compiled rules plus one keyword/value index, shared by every masker of a
 * gateway and rebuilt only when the secret-value registry changes. It never holds output.
 */
import { KeywordIndex } from './keyword-index.js';
import type { CompiledRules } from './rules.js';
import type { SecretValueForm, SecretValueRegistry } from './secret-values.js';

export class MaskingCatalog {
  readonly rules: CompiledRules;
  readonly values?: SecretValueRegistry;
  #version = -1;
  #index!: KeywordIndex;
  #forms: SecretValueForm[] = [];
  #valuePrefixes = new Set<string>();
  #maxValue = 0;

  constructor(rules: CompiledRules, values?: SecretValueRegistry, extra: { value: string; label: string }[] = []) {
    this.rules = rules;
    this.values = values;
    for (const { value, label } of extra) values?.add(value, label);
  }

  current(): { index: KeywordIndex; forms: SecretValueForm[]; valuePrefixes: Set<string>; maxValue: number } {
    const version = this.values?.version ?? 0;
    if (version !== this.#version) {
      this.#forms = this.values?.forms() ?? [];
      this.#index = new KeywordIndex([...this.rules.keywords, ...this.#forms.map((form) => form.text)]);
      this.#valuePrefixes = new Set();
      this.#maxValue = 0;
      for (const { text } of this.#forms) {
        this.#maxValue = Math.max(this.#maxValue, text.length);
        for (let k = 1; k < text.length; k++) this.#valuePrefixes.add(text.slice(0, k));
      }
      this.#version = version;
    }
    return { index: this.#index, forms: this.#forms, valuePrefixes: this.#valuePrefixes, maxValue: this.#maxValue };
  }
}

