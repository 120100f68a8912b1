/**
 * The `masking:` config section and its rule shape (docs/masking.md), kept next to the masker so
 * src/config/schema.ts only mounts it. Bad regexes are config errors naming the key.
 */
import { z } from 'zod';

/** Masking (docs/masking.md): rules as in rules/masking.yaml, merged by name. */
const validRegex = (source: string, flags = ''): boolean => {
  try {
    new RegExp(source, flags.replace(/[gdy]/g, ''));
    return true;
  } catch {
    return false;
  }
};
const maskingRuleSchema = z
  .object({
    name: z.string().min(1),
    label: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"').optional(),
    type: z.enum(['regex', 'block', 'pair', 'kubernetes-secret']).optional(),
    pattern: z.string().min(1).optional(),
    flags: z.string().regex(/^[imsu]*$/, 'may only contain i, m, s, u').optional(),
    group: z.union([z.number().int().min(0), z.array(z.number().int().min(0)).min(1)]).optional(),
    keywords: z.array(z.string().min(1)).optional(),
    prefix: z.boolean().optional(),
    begin: z.string().min(1).optional(),
    end: z.string().min(1).optional(),
    first: z.string().min(1).optional(),
    partial: z.string().min(1).optional(),
    hold: z.string().min(1).optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    for (const key of ['pattern', 'begin', 'end', 'first', 'partial', 'hold'] as const) {
      const source = rule[key];
      if (source !== undefined && !validRegex(source, rule.flags)) ctx.addIssue({ code: 'custom', path: [key], message: 'is not a valid JavaScript regular expression' });
    }
  });
export const maskingSchema = z
  .object({
    enabled: z.boolean().default(true),
    rules: z.array(maskingRuleSchema).default([]),
    allow: z
      .array(z.string().min(1))
      .default([])
      .superRefine((entries, ctx) =>
        entries.forEach((entry, index) => {
          const m = /^\/(.*)\/([a-z]*)$/s.exec(entry);
          if (m && !validRegex(m[1]!, m[2])) ctx.addIssue({ code: 'custom', path: [index], message: 'is not a valid /regex/flags' });
        }),
      ),
    values: z.array(z.string().min(6, 'must be at least 6 characters (shorter values would hide ordinary words)')).default([]),
    holdMs: z.number().int().min(1).max(1000).optional(),
    maxHoldBytes: z.number().int().min(1024).max(16 * 1024 * 1024).optional(),
  })
  .strict()
  .default({});

