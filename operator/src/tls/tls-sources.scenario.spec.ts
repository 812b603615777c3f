import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryLoadSource } from '../autoscaler/load-source.js';
import { NS, TestCluster, clustersPath, sampleCluster, waitFor } from '../testing/harness.js';
import { createCa, issueServerCertificate } from './pki.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const degradedReason = (c: any) => c?.status?.conditions?.find((x: any) => x.type === 'Degraded')?.reason;

describe('TLS from cert-manager or from a user Secret', { timeout: 60_000 }, () => {
  let k: TestCluster;
  before(async () => {
    k = await new TestCluster().start();
    await k.startManager(() => new MemoryLoadSource());
  });
  after(async () => k.stop());

  const tlsSecret = async (name: string, days: number) => {
    const ca = await createCa('test CA', new Date(), 365 * 86_400_000);
    const cert = await issueServerCertificate(ca, ['example.com'], new Date(), days * 86_400_000);
    return { metadata: { name }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) } };
  };

  it('says so when cert-manager is not installed', async () => {
    await k.request('POST', clustersPath, sampleCluster('cm0', { tls: { source: 'certManager', issuerRef: { name: 'le' } } }));
    await waitFor('CertManagerNotInstalled', () => degradedReason(k.cluster('cm0')) === 'CertManagerNotInstalled');
  });

  it('creates a Certificate for every name and reports its expiry once cert-manager filled the Secret', async () => {
    await k.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      metadata: { name: 'certificates.cert-manager.io' },
      spec: {
        group: 'cert-manager.io',
        scope: 'Namespaced',
        names: { kind: 'Certificate', plural: 'certificates' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    await k.request(
      'POST',
      clustersPath,
      sampleCluster('cm', { tls: { source: 'certManager', issuerRef: { name: 'le', kind: 'ClusterIssuer' }, duration: '720h', renewBefore: '240h' } }),
    );
    const cert = await waitFor('Certificate', () => k.get('certificates', 'cm-tls', 'cert-manager.io/v1'));
    assert.equal(cert.spec.secretName, 'cm-tls');
    assert.deepEqual(cert.spec.issuerRef, { name: 'le', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    assert.equal(cert.spec.renewBefore, '240h');
    assert.ok(cert.spec.dnsNames.includes('conference.example.com'));
    assert.equal(cert.metadata.ownerReferences[0].name, 'cm');
    await waitFor('CertificatePending', () => degradedReason(k.cluster('cm')) === 'CertificatePending');
    await k.request('POST', `/api/v1/namespaces/${NS}/secrets`, await tlsSecret('cm-tls', 30));
    await waitFor('Ready with expiry', () => k.cluster('cm')?.status?.phase === 'Ready' && k.cluster('cm').status.certificate.notAfter);
  });

  it('uses a user Secret, refuses to roll out without it and warns before it expires', async () => {
    await k.request('POST', clustersPath, sampleCluster('own', { tls: { source: 'secret', secretName: 'my-tls', renewBefore: '720h' } }));
    await waitFor('SecretNotFound', () => degradedReason(k.cluster('own')) === 'SecretNotFound');
    assert.equal(k.get('deployments', 'own-edge', 'apps/v1'), undefined);
    await k.request('POST', `/api/v1/namespaces/${NS}/secrets`, await tlsSecret('my-tls', 10));
    await waitFor('CertificateExpiring', () => degradedReason(k.cluster('own')) === 'CertificateExpiring');
    const edge = await waitFor('edge uses the Secret', () => k.get('deployments', 'own-edge', 'apps/v1'));
    assert.ok(edge.spec.template.spec.volumes.some((v: any) => v.secret?.secretName === 'my-tls'));
    assert.equal(k.get('secrets', 'own-ca'), undefined, 'no operator CA for a user Secret');
  });
});
