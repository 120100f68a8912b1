/**
 * x509: a tiny certificate authority for TLS endpoints the gateway (or a test) controls — the
 * Kubernetes proxy's per-gateway CA and the API server double. ECDSA P-256 over WebCrypto, so a CA
 * plus a server certificate costs a few milliseconds.
 *
 * It must never write keys to disk (callers decide where PEMs go) and never issue a CA from a leaf:
 * only `createCertificateAuthority`/`loadCertificateAuthority` produce signing authorities.
 */
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import './reflect-metadata.js';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

const KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
/** Clock skew between the issuing host and a client: certificates start a little in the past. */
const BACKDATE_MS = 5 * 60_000;

export interface CertificateAuthority {
  commonName: string;
  certPem: string;
  /** PKCS#8 PEM of the CA's private key. */
  keyPem: string;
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), accepted by node:tls and kubectl. */
  keyPem: string;
  /** certPem followed by the CA certificate, for servers that present the chain. */
  chainPem: string;
}

export interface CertificateOptions {
  /** Validity in days from now (default 365 for a CA, 90 for a leaf). */
  validDays?: number;
}

export interface ServerCertificateOptions extends CertificateOptions {
  /** DNS names and IP addresses the certificate is valid for (subjectAltName). */
  hosts: string[];
  commonName?: string;
}

export interface ClientCertificateOptions extends CertificateOptions {
  /** The user name (Kubernetes reads it from CN). */
  commonName: string;
  /** Groups (Kubernetes reads them from O). */
  organizations?: string[];
}

export async function createCertificateAuthority(
  commonName: string,
  options: CertificateOptions = {},
): Promise<CertificateAuthority> {
  if (typeof commonName !== 'string' || commonName === '') {
    throw new TypeError('createCertificateAuthority: commonName must be a non-empty string');
  }
  const keys = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: distinguishedName(commonName),
    ...validity(options.validDays ?? 365),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    commonName,
    certPem: certificate.toString('pem'),
    keyPem: await privateKeyPem(keys.privateKey),
    certificate,
    privateKey: keys.privateKey,
  };
}

/** Rebuilds an authority from PEMs produced by `createCertificateAuthority` (e.g. persisted by the caller). */
export async function loadCertificateAuthority(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certPem);
  const der = x509.PemConverter.decodeFirst(keyPem);
  const privateKey = await crypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
  const commonName = certificate.subjectName.getField('CN')[0] ?? '';
  return { commonName, certPem: certificate.toString('pem'), keyPem, certificate, privateKey };
}

export async function issueServerCertificate(
  ca: CertificateAuthority,
  options: ServerCertificateOptions,
): Promise<IssuedCertificate> {
  if (!Array.isArray(options?.hosts) || options.hosts.length === 0) {
    throw new TypeError('issueServerCertificate: hosts must list at least one DNS name or IP address');
  }
  const names: x509.JsonGeneralName[] = options.hosts.map((host) =>
    isIP(host) ? { type: 'ip', value: host } : { type: 'dns', value: host },
  );
  return issueLeaf(ca, {
    commonName: options.commonName ?? options.hosts[0]!,
    validDays: options.validDays,
    usage: x509.ExtendedKeyUsage.serverAuth,
    extra: [new x509.SubjectAlternativeNameExtension(names, false)],
  });
}

export async function issueClientCertificate(
  ca: CertificateAuthority,
  options: ClientCertificateOptions,
): Promise<IssuedCertificate> {
  if (typeof options?.commonName !== 'string' || options.commonName === '') {
    throw new TypeError('issueClientCertificate: commonName must be a non-empty string');
  }
  return issueLeaf(ca, {
    commonName: options.commonName,
    organizations: options.organizations,
    validDays: options.validDays,
    usage: x509.ExtendedKeyUsage.clientAuth,
    extra: [],
  });
}

interface LeafParams {
  commonName: string;
  organizations?: string[];
  validDays?: number;
  usage: x509.ExtendedKeyUsage;
  extra: x509.Extension[];
}

async function issueLeaf(ca: CertificateAuthority, params: LeafParams): Promise<IssuedCertificate> {
  const keys = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: distinguishedName(params.commonName, params.organizations),
    issuer: ca.certificate.subject,
    ...validity(params.validDays ?? 90),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([params.usage], false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
      ...params.extra,
    ],
  });
  const certPem = certificate.toString('pem');
  return { certPem, keyPem: await privateKeyPem(keys.privateKey), chainPem: `${certPem}\n${ca.certPem}\n` };
}

function distinguishedName(commonName: string, organizations: string[] = []): x509.JsonName {
  return [{ CN: [commonName] }, ...organizations.map((o) => ({ O: [o] }))];
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** 16 random bytes with the top bit clear, so the DER integer stays positive. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}
