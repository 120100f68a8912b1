import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  loadCertificateAuthority,
} from '../../src/util/x509.js';

async function serve(cert: { certPem: string; keyPem: string }, extra: https.ServerOptions = {}) {
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem, ...extra }, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
    res.end(peer?.subject?.CN ? `hello ${peer.subject.CN}` : 'hello');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

function get(url: string, options: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ...options, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('x509 certificate authority', () => {
  it('issues a server certificate a client trusts through the CA alone, by IP and by name', async () => {
    const ca = await createCertificateAuthority('hoop test CA');
    const cert = await issueServerCertificate(ca, { hosts: ['127.0.0.1', 'localhost'] });
    const { server, port } = await serve(cert);
    try {
      expect(await get(`https://127.0.0.1:${port}/`, { ca: ca.certPem })).toBe('hello');
      expect(await get(`https://localhost:${port}/`, { ca: ca.certPem, lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]) })).toBe('hello');
    } finally {
      server.close();
    }
  });

  it('is refused by a client that trusts a different CA, and for a host not in the certificate', async () => {
    const ca = await createCertificateAuthority('hoop test CA');
    const other = await createCertificateAuthority('someone else');
    const cert = await issueServerCertificate(ca, { hosts: ['localhost'] });
    const { server, port } = await serve(cert);
    try {
      await expect(get(`https://127.0.0.1:${port}/`, { ca: other.certPem, servername: 'localhost' })).rejects.toThrow(
        /self-signed|unable to verify|unable to get local issuer/i,
      );
      await expect(get(`https://127.0.0.1:${port}/`, { ca: ca.certPem })).rejects.toThrow(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/i);
    } finally {
      server.close();
    }
  });

  it('produces a CA certificate marked as a CA and a leaf that is not', async () => {
    const ca = await createCertificateAuthority('hoop test CA');
    const leaf = await issueServerCertificate(ca, { hosts: ['127.0.0.1'] });
    const caCert = new X509Certificate(ca.certPem);
    const leafCert = new X509Certificate(leaf.certPem);
    expect(caCert.ca).toBe(true);
    expect(leafCert.ca).toBe(false);
    expect(leafCert.checkIssued(caCert)).toBe(true);
    expect(leafCert.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('issues client certificates the server verifies, and a reloaded CA keeps issuing trusted certs', async () => {
    const created = await createCertificateAuthority('reloaded');
    const ca = await loadCertificateAuthority(created.certPem, created.keyPem);
    expect(ca.commonName).toBe('reloaded');
    const server = await issueServerCertificate(ca, { hosts: ['127.0.0.1'] });
    const client = await issueClientCertificate(ca, { commonName: 'alice', organizations: ['dev'] });
    const { server: srv, port } = await serve(server, { ca: ca.certPem, requestCert: true, rejectUnauthorized: true });
    try {
      expect(await get(`https://127.0.0.1:${port}/`, { ca: ca.certPem, cert: client.certPem, key: client.keyPem })).toBe('hello alice');
      await expect(get(`https://127.0.0.1:${port}/`, { ca: ca.certPem })).rejects.toThrow();
    } finally {
      srv.close();
    }
  });

  it('rejects misuse at once', async () => {
    await expect(createCertificateAuthority('')).rejects.toThrow(TypeError);
    const ca = await createCertificateAuthority('x');
    await expect(issueServerCertificate(ca, { hosts: [] })).rejects.toThrow(/hosts/);
  });
});
