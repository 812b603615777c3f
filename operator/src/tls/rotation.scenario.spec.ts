import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryLoadSource } from '../autoscaler/load-source.js';
import { TestCluster, clustersPath, sampleCluster, waitFor } from '../testing/harness.js';
import { certInfo, signedBy, splitPem } from './pki.js';

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const HOUR = 3_600_000;

describe('certificate renewal and CA rotation with overlap', { timeout: 60_000 }, () => {
  let k: TestCluster;
  let offset = 0;
  let touches = 0;
  const secret = (name: string) =>
    Object.fromEntries(Object.entries(k.get('secrets', name)?.data ?? {}).map(([key, v]) => [key, b64(v as string)])) as Record<string, string>;
  // The reconciler is level-based: any change to the cluster makes it look at the clock again.
  const touch = () => k.request('PATCH', `${clustersPath}/tls`, { metadata: { annotations: { touch: String(++touches) } } }, 'application/merge-patch+json');

  before(async () => {
    k = await new TestCluster().start();
    await k.startManager(() => new MemoryLoadSource(), { now: () => new Date(Date.now() + offset) });
    await k.request('POST', clustersPath, sampleCluster('tls', { tls: { duration: '2h', renewBefore: '1h', ca: { duration: '10h', renewBefore: '3h' } } }));
    await waitFor('issued', () => k.cluster('tls')?.status?.certificate?.notAfter);
  });
  after(async () => k.stop());

  it('issues a server certificate for every domain and service subdomain, signed by the cluster CA', async () => {
    const tls = secret('tls-tls');
    const info = certInfo(tls['tls.crt'])!;
    for (const n of ['example.com', 'conference.example.com', 'upload.example.com', 'tls-edge.glider.svc', 'tls-admin.glider.svc'])
      assert.ok(info.dnsNames.includes(n), n);
    assert.ok(await signedBy(tls['tls.crt']!, secret('tls-ca')['tls.crt']!));
    assert.equal(k.cluster('tls').status.certificate.notAfter, info.notAfter.toISOString().replace(/\.\d+Z$/, 'Z'));
  });

  it('renews renewBefore the expiry: the same Secret is updated in place with a new certificate', async () => {
    const before = k.get('secrets', 'tls-tls');
    const serial = certInfo(secret('tls-tls')['tls.crt'])!.serialNumber;
    const ca = secret('tls-ca')['tls.crt'];
    offset = 61 * 60_000;
    await touch();
    await waitFor('renewed', () => certInfo(secret('tls-tls')['tls.crt'])!.serialNumber !== serial);
    assert.equal(k.get('secrets', 'tls-tls').metadata.uid, before.metadata.uid, 'updated in place, so mounted files change without a restart');
    assert.equal(secret('tls-ca')['tls.crt'], ca, 'the CA did not change');
    const edge = k.get('deployments', 'tls-edge', 'apps/v1');
    assert.equal(edge.metadata.generation, 1, 'renewal does not roll the edges');
    await waitFor('status follows', () => k.cluster('tls').status.certificate.serialNumber === certInfo(secret('tls-tls')['tls.crt'])!.serialNumber);
  });

  it('rotates the CA before it expires, trusting old and new during the overlap, then drops the old', async () => {
    const oldCa = secret('tls-ca')['tls.crt']!;
    offset = 7 * HOUR + 60_000;
    await touch();
    await waitFor('CA rotated', () => secret('tls-ca')['tls.crt'] !== oldCa);
    assert.equal(secret('tls-ca')['previous.crt'], oldCa);
    // The CA Secret is written first, the server certificate and its bundle after it.
    await waitFor('server cert reissued by the new CA', () => signedBy(secret('tls-tls')['tls.crt']!, secret('tls-ca')['tls.crt']!));
    const bundle = splitPem(secret('tls-tls')['ca.crt']);
    assert.equal(bundle.length, 2, 'bundle holds new and old CA');
    assert.ok(
      bundle.some((pem) => pem.trim() === oldCa.trim()),
      'the old CA is still trusted',
    );
    offset = 10 * HOUR + 5 * 60_000;
    await touch();
    await waitFor('old CA dropped after it expired', () => splitPem(secret('tls-tls')['ca.crt']).length === 1 && !secret('tls-ca')['previous.crt']);
  });
});
