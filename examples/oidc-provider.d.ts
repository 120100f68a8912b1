// node-oidc-provider ships no type declarations; the local IdP example and its fixture type what they use.

declare module 'oidc-provider';
