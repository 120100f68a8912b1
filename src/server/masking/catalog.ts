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
  /**
   * Proper prefixes of the keywords that are a secret's own start (`ghp_`), as written (case
   * sensitive rules) or lower case (rules with flag i): a tail ending in one is held so the
   * placeholder covers the whole token.
   */
  readonly tokenPrefixes = { exact: new Set<string>(), folded: new Set<string>(), longest: 0 };

  constructor(rules: CompiledRules, values?: SecretValueRegistry, extra: { value: string; label: string }[] = []) {
    this.rules = rules;
    this.values = values;
    for (const { value, label } of extra) values?.add(value, label);
    for (const rule of rules.rules) {
      if (!rule.prefix) continue;
      const folded = (rule.re ?? rule.begin)?.ignoreCase === true;
      for (const keyword of folded ? rule.keywords : rule.keywordsAsWritten) {
        if (/^\s/.test(keyword)) continue;
        this.tokenPrefixes.longest = Math.max(this.tokenPrefixes.longest, keyword.length - 1);
        for (let k = 1; k < keyword.length; k++) (folded ? this.tokenPrefixes.folded : this.tokenPrefixes.exact).add(keyword.slice(0, k));
      }
    }
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

