/**
 * The config file contract (DESIGN.md "Contract: config file"). Validation names the key and the
 * problem; unknown keys are errors so a typo never silently disables a rule.
 */
import { z } from 'zod';
import { parseDuration } from '../util/duration.js';
import { maskingSchema } from '../server/masking/config-schema.js';

const name = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_" or "-"');
const stringList = z.array(z.string().min(1)).min(1, 'must not be empty');
const duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, 'must be a duration such as 30s, 15m or 1h');

export const listenSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:8009')
  .refine((text) => Number(text.slice(text.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

const oidcIssuerSchema = z
  .object({
    issuer: z.string().url('must be the issuer URL'),
    audience: z.union([z.string().min(1), stringList]),
    groupsClaim: z.string().min(1).default('groups'),
    algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).optional(),
    clockTolerance: duration.optional(),
    /** Public OAuth client id `hoop-shell login` uses for the device flow (served at /v1/auth/config). */
    clientId: z.string().min(1).optional(),
    /** Scopes `hoop-shell login` asks for. */
    scopes: z.array(z.string().min(1)).default(['openid', 'offline_access']),
    /** Least time between two JWKS fetches for an unknown `kid` (jose's cooldown). */
    jwksCooldown: duration.default('30s'),
    /** Client-credentials clients (CI) → the service user and groups they act as. */
    services: z.record(z.object({ user: z.string().min(1), groups: z.array(z.string().min(1)).default([]) }).strict()).default({}),
  })
  .strict();

const commandConnectionSchema = z
  .object({
    name,
    type: z.literal('command'),
    command: stringList.describe('program and its arguments'),
    /** Flag that makes the program run one command line, for `exec` (bash -c, psql -c, …). */
    execFlag: z.string().min(1).default('-c'),
    env: z.record(z.string()).default({}),
    kubernetes: name.optional(),
    cwd: z.string().min(1).optional(),
    /** Record keystrokes as asciicast `i` events (off: a password typed at a no-echo prompt stays out). */
    recordInput: z.boolean().default(false),
    /** false turns output masking off for this connection (docs/masking.md). */
    masking: z.boolean().optional(),
  })
  .strict();

const kubernetesConnectionSchema = z
  .object({
    name,
    type: z.literal('kubernetes'),
    kubeconfig: z.string().min(1),
    context: z.string().min(1).optional(),
    env: z.record(z.string()).default({}),
    /** The kubectl binary broker sessions run (docs/kubernetes.md). */
    kubectl: z.string().min(1).default('/usr/bin/kubectl'),
    recordInput: z.boolean().default(false),
    masking: z.boolean().optional(),
  })
  .strict();

const connectionSchema = z.discriminatedUnion('type', [commandConnectionSchema, kubernetesConnectionSchema], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union_discriminator'
      ? { message: 'type must be "command" or "kubernetes"' }
      : { message: ctx.defaultError },
});

const actionSchema = z.enum(['allow', 'review', 'deny']);

const ruleSchema = z
  .object({
    name: z.string().min(1),
    match: z
      .object({
        connection: z.union([z.string().min(1), stringList]).optional(),
        users: stringList.optional(),
        groups: stringList.optional(),
        verbs: stringList.optional(),
        resources: stringList.optional(),
        namespaces: stringList.optional(),
        names: stringList.optional(),
        privileged: z.boolean().optional(),
        commands: stringList.optional(),
      })
      .strict(),
    action: actionSchema,
    approvers: z
      .object({ groups: stringList, count: z.number().int().min(1).default(1) })
      .strict()
      .optional(),
    timeout: duration.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    listen: listenSchema.default('127.0.0.1:8009'),
    dataDir: z.string().min(1).default('./.hoop'),
    auth: z
      .object({
        oidc: z
          .array(oidcIssuerSchema)
          .default([])
          .superRefine((issuers, ctx) => {
            issuers.forEach((entry, index) => {
              if (issuers.findIndex((other) => other.issuer === entry.issuer) !== index) {
                ctx.addIssue({ code: 'custom', path: [index, 'issuer'], message: `duplicate issuer "${entry.issuer}"` });
              }
            });
          }),
        /** Upper bound for agent tokens (`hoop-shell token --agent`). */
        agentTokenMaxTtl: duration.default('8h'),
      })
      .strict()
      .default({}),
    connections: z.array(connectionSchema).default([]),
    policy: z
      .object({
        default: actionSchema.default('allow'),
        rules: z.array(ruleSchema).default([]),
        /** A shell line the command gate cannot fully understand (docs/policy.md). */
        unparsable: actionSchema.default('review'),
      })
      .strict()
      .default({}),
    roles: z.record(z.array(z.string().min(1))).default({}),
    /** The kube API proxy (docs/kubernetes.md): HTTPS on loopback, an ephemeral port by default. */
    kubeProxy: z
      .object({ listen: listenSchema.default('127.0.0.1:0') })
      .strict()
      .default({}),
    recording: z
      .object({
        /** true (default): a session that cannot be recorded is refused or stopped (fail closed). */
        required: z.boolean().default(true),
        retention: z
          .object({
            /** Recordings of ended sessions older than this are deleted (e.g. 30d). */
            maxAge: duration.optional(),
            /** Total size of all recordings; the oldest are deleted beyond it (bytes or "10GB"). */
            maxBytes: z.union([z.number().int().positive(), z.string().regex(/^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i, 'must be bytes such as 500MB or 10GB')]).optional(),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    sessions: z
      .object({
        /** How long a session waits for its dropped client to reattach before it ends. */
        reattachGrace: duration.default('60s'),
        /** Output kept for a detached client; beyond it the client is told how much it missed. */
        reattachBufferBytes: z.number().int().min(0).default(1024 * 1024),
      })
      .strict()
      .default({}),
    limits: z
      .object({
        maxFrameBytes: z.number().int().min(1024).optional(),
        outputHighWaterBytes: z.number().int().min(4096).optional(),
      })
      .strict()
      .default({}),
    masking: maskingSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.connections.forEach((connection, index) => {
      if (seen.has(connection.name)) {
        ctx.addIssue({ code: 'custom', path: ['connections', index, 'name'], message: `duplicate connection name "${connection.name}"` });
      }
      seen.set(connection.name, index);
    });
    config.connections.forEach((connection, index) => {
      if (connection.type !== 'command' || !connection.kubernetes) return;
      const target = config.connections.find((other) => other.name === connection.kubernetes);
      if (!target || target.type !== 'kubernetes') {
        ctx.addIssue({ code: 'custom', path: ['connections', index, 'kubernetes'], message: `names no kubernetes connection "${connection.kubernetes}"` });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConnectionConfig = Config['connections'][number];
export type CommandConnectionConfig = z.infer<typeof commandConnectionSchema>;
export type KubernetesConnectionConfig = z.infer<typeof kubernetesConnectionSchema>;
export type OidcIssuerConfig = z.infer<typeof oidcIssuerSchema>;
export type PolicyRuleConfig = z.infer<typeof ruleSchema>;
export type PolicyAction = z.infer<typeof actionSchema>;
