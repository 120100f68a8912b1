/**
 * The kube proxy's TLS identity: a gateway CA kept in the data dir (key file 0600) and a fresh
 * server certificate for the proxy's listen host each start. Session kubeconfigs trust the CA,
 * so kubectl sends its bearer token (it refuses to over plain http).
 *
 * It must never write the CA key anywhere but the data dir, nor with a looser mode than 0600.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCertificateAuthority, issueServerCertificate, loadCertificateAuthority, type CertificateAuthority } from '../../util/x509.js';

export interface ProxyTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const CA_COMMON_NAME = 'hoop-shell gateway kube proxy CA';

async function loadOrCreateAuthority(dir: string): Promise<CertificateAuthority> {
  const certFile = path.join(dir, 'ca.crt');
  const keyFile = path.join(dir, 'ca.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    chmodSync(keyFile, 0o600);
    return loadCertificateAuthority(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
  }
  const ca = await createCertificateAuthority(CA_COMMON_NAME, { validDays: 3650 });
  writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  writeFileSync(certFile, ca.certPem, { mode: 0o644 });
  return ca;
}

/** The CA (created once, kept in `<dataDir>/kube-proxy/`) and a server certificate for `hosts`. */
export async function prepareProxyTls(dataDir: string, hosts: string[]): Promise<ProxyTls> {
  const dir = path.join(dataDir, 'kube-proxy');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreateAuthority(dir);
  const server = await issueServerCertificate(ca, { hosts: [...new Set(hosts)], commonName: 'hoop-shell kube proxy', validDays: 397 });
  return { caPem: ca.certPem, certPem: server.chainPem, keyPem: server.keyPem };
}
