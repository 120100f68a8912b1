/**
 * Wires masking into a gateway: one shared catalog (shipped rules + config, the gateway's secret
 * values), a StreamMasker per session unless the connection says `masking: false`, and
 * `gateway.maskText` for command text. It never turns masking off on its own: a rule that does
 * not compile stops the gateway from starting.
 */
import type { Gateway } from '../gateway.js';
import { buildRules, RuleError } from './rules.js';
import { MaskingCatalog, maskText, StreamMasker } from './stream-masker.js';
import { GatewayError } from '../../errors.js';

export function installMasking(gateway: Gateway): MaskingCatalog | undefined {
  const config = gateway.config.masking;
  if (!config.enabled) return undefined;
  let catalog: MaskingCatalog;
  try {
    catalog = new MaskingCatalog(
      buildRules({ rules: config.rules, allow: config.allow }),
      gateway.secretValues,
      config.values.map((value) => ({ value, label: 'secret-value' })),
    );
  } catch (error) {
    if (error instanceof RuleError || error instanceof TypeError) throw new GatewayError('CONFIG_INVALID', `invalid config: ${error.message}`);
    throw error;
  }
  const options = { holdMs: config.holdMs, maxHoldBytes: config.maxHoldBytes };
  gateway.sessionHooks.createOutputFilter = (session) => (session.connection.masking === false ? undefined : new StreamMasker(catalog, options));
  gateway.sessionHooks.maskText = (text) => maskText(catalog, text);
  gateway.maskText = (text) => maskText(catalog, text);
  return catalog;
}
