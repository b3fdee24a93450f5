import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEs2Client } from '../src/integrations/smdp/client.js';
import { certificateMaker, RSA_KEY } from './helpers/pki.js';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl for this run. */
function makePki(dir: string) {
  const certs = certificateMaker(dir, RSA_KEY);
  certs.ca('ca', '/CN=test SMDP CA');
  certs.issue('server', 'ca', '/CN=server', { server: true });
  certs.issue('client', 'ca', '/CN=client');
  const { read } = certs;
  return {
    ca: read('ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
  };
}

describe('ES2+ client over mutual TLS', () => {
  let dir: string;
  let server: https.Server;
  let base: string;
  let pki: ReturnType<typeof makePki>;
  const seen: string[] = [];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esimdesk-pki-'));
    pki = makePki(dir);
    server = https.createServer(
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        seen.push(
          `${req.url} ${(req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN}`,
        );
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-admin-protocol', 'gsma/rsp/v2.2.0');
        res.end(
          JSON.stringify({
            header: { functionExecutionStatus: { status: 'Executed-Success' } },
            iccid: '8948010000000000000F',
          }),
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('presents the operator certificate and trusts only the configured CA', async () => {
    const client = createEs2Client({
      baseUrl: () => base,
      requesterId: 'operator',
      timeoutMs: 5000,
      tls: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca },
    });
    expect(await client.downloadOrder({ profileType: 'travel' })).toEqual({ iccid: '8948010000000000000' });
    expect(seen).toEqual(['/gsma/rsp2/es2plus/downloadOrder client']);
    await client.close();

    const anonymous = createEs2Client({
      baseUrl: () => base,
      requesterId: 'operator',
      timeoutMs: 5000,
      tls: null,
    });
    await expect(anonymous.downloadOrder({ profileType: 'travel' })).rejects.toThrow();
    await anonymous.close();
  });
});
