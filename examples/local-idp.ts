/**
 * A local OpenID provider to try `hoop-shell login` without a real IdP: the same node-oidc-provider
 * setup the tests use (users alice and bob, any password; device flow for client `hoop-cli`,
 * client credentials for `ci-pipeline`). For trying things on one machine only — never expose it.
 *
 *   npm run build && node dist/examples/local-idp.js [PORT]
 */
import { CI_CLIENT_ID, CI_CLIENT_SECRET, CLI_CLIENT_ID, GATEWAY_AUDIENCE, USERS, startOidcProvider } from '../test/fixtures/oidc-provider.js';

const port = Number(process.argv[2] ?? 9090);
const idp = await startOidcProvider({ port });
process.stderr.write(
  [
    `local IdP at ${idp.issuer} (users: ${Object.entries(USERS).map(([name, user]) => `${name} [${user.groups.join(', ')}]`).join('; ')}; any password)`,
    '',
    'Gateway config (hoop.yaml):',
    'auth:',
    '  oidc:',
    `    - issuer: ${idp.issuer}`,
    `      audience: ${GATEWAY_AUDIENCE}`,
    `      clientId: ${CLI_CLIENT_ID}`,
    '      scopes: [openid, offline_access, groups]',
    `      services: { ${CI_CLIENT_ID}: { user: ci-bot, groups: [ci] } }`,
    'roles: { approver: [oncall], admin: [platform-admins] }',
    '',
    `CI token: curl -s -u ${CI_CLIENT_ID}:${CI_CLIENT_SECRET} -d grant_type=client_credentials -d resource=urn:hoop:gateway ${idp.issuer}/token`,
    '',
  ].join('\n'),
);
process.on('SIGINT', () => void idp.stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void idp.stop().then(() => process.exit(0)));
