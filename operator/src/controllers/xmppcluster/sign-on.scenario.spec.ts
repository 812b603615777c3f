import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '#libs/config';
import { MemoryLoadSource } from '../../autoscaler/load-source.js';
import { NS, TestCluster, clustersPath, sampleCluster, waitFor } from '../../testing/harness.js';

const ldap = {
  url: 'ldap://ldap.example.com:389',
  startTls: true,
  tls: { caSecretRef: { name: 'ldap', key: 'ca.crt' } },
  bindDn: 'cn=glider,ou=services,dc=example,dc=com',
  bindPasswordSecretRef: { name: 'ldap', key: 'bind-password' },
  userBase: 'ou=people,dc=example,dc=com',
};
const directory = (l: object) => ({ directory: { domains: { 'example.com': { ldap: l } } } });
const PASSWORD = 'the-bind-password-must-stay-in-its-secret';

/**
 * Directory sign-on, single sign-on and invitations through the XmppCluster spec (issue 15,
 * docs/kubernetes.md "Directory, single sign-on and invitations"), against the API server the
 * scenarios run on (the emulator, or a real kube-apiserver with OPERATOR_TEST_API=kube): what the
 * CRD refuses at admission, the Secret checks, the config and mounts the pods get, and the
 * InvalidConfig condition for a bad value that reaches the operator through spec.config.
 */
describe('XmppCluster directory, sso and invites', { timeout: 60_000 }, () => {
  let k: TestCluster;
  before(async () => {
    k = await new TestCluster({ tls: true }).start();
    await k.startManager(() => new MemoryLoadSource());
  });
  after(async () => k.stop());

  it('the API server refuses a non-LDAP URL, plain LDAP, a bind DN without its password Secret, a domain not served', async () => {
    const refused = async (spec: object): Promise<string> => {
      const r = await k.request('POST', clustersPath, sampleCluster('bad', spec));
      assert.equal(r.code, 422, JSON.stringify(r.body));
      return (r.body as { message: string }).message;
    };
    assert.match(await refused(directory({ ...ldap, url: 'http://ldap.example.com' })), /spec\.directory\.domains\.example\.com\.ldap\.url/);
    assert.match(await refused(directory({ ...ldap, startTls: false })), /passwords must not cross plain LDAP/);
    assert.match(await refused(directory({ ...ldap, url: 'ldaps://ldap.example.com:636' })), /passwords must not cross plain LDAP/);
    const { bindPasswordSecretRef: _, ...noPassword } = ldap;
    assert.match(await refused(directory(noPassword)), /bindDn and bindPasswordSecretRef go together/);
    assert.match(await refused({ directory: { domains: { 'example.net': { ldap } } } }), /directory\.domains must name domains of spec\.domains/);
  });

  it('a missing bind password Secret is Degraded, naming the field; once it exists: Ready, the pods mount it, the ConfigMap holds only its path', async () => {
    const spec = {
      ...directory(ldap),
      sso: { domains: { 'example.com': { oidc: { issuer: 'https://login.example.com', audience: 'xmpp://example.com' } } } },
      invites: { enabled: true, maxUses: 20 },
    };
    const created = await k.request('POST', clustersPath, sampleCluster('corp', spec));
    assert.ok([200, 201].includes(created.code), JSON.stringify(created.body));
    const degraded = await waitFor('Degraded', () => k.cluster('corp')?.status?.conditions?.find((c: any) => c.type === 'Degraded' && c.status === 'True'));
    assert.equal(degraded.reason, 'SecretNotFound');
    assert.match(degraded.message, /directory\.domains\.example\.com\.ldap\.bindPasswordSecretRef: Secret glider\/ldap not found/);
    assert.equal(k.get('deployments', 'corp-edge', 'apps/v1'), undefined, 'no rollout while the Secret is missing');

    await k.request('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'ldap' },
      data: { 'bind-password': Buffer.from(PASSWORD).toString('base64'), 'ca.crt': Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64') },
    });
    await waitFor('Ready after the Secret appeared', () => k.cluster('corp')?.status?.phase === 'Ready');
    const text = k.get('configmaps', 'corp-config').data['config.yaml'] as string;
    assert.ok(!text.includes(PASSWORD), 'the password is not in the ConfigMap');
    const config = configSchema.parse(parseYaml(text));
    assert.equal(config.directory.domains['example.com']!.ldap.bindPasswordFile, '/etc/glider/secrets/directory/example.com/bind-password');
    assert.equal(config.directory.domains['example.com']!.ldap.tls.caFile, '/etc/glider/secrets/directory/example.com/ca.crt');
    assert.equal(config.sso.domains['example.com']!.oidc.audience, 'xmpp://example.com');
    assert.deepEqual([config.invites.enabled, config.invites.maxUses], [true, 20]);
    for (const c of ['edge', 'router', 'presence']) {
      const pod = k.get('deployments', `corp-${c}`, 'apps/v1').spec.template.spec;
      const sources = pod.volumes.find((v: any) => v.name === 'directory-secrets')?.projected?.sources;
      assert.deepEqual(
        sources?.map((s: any) => s.secret.items[0].path),
        ['example.com/bind-password', 'example.com/ca.crt'],
        c,
      );
      assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.mountPath === '/etc/glider/secrets/directory' && m.readOnly));
    }
  });

  it('a bad LDAP URL through spec.config (which the CRD cannot check) is the InvalidConfig condition, naming the key', async () => {
    await k.request(
      'POST',
      clustersPath,
      sampleCluster('cfgldap', { config: { directory: { domains: { 'example.com': { ldap: { url: 'http://ldap', userBase: 'o=x' } } } } } }),
    );
    const c = await waitFor('InvalidConfig', () =>
      k.cluster('cfgldap')?.status?.conditions?.find((c: any) => c.type === 'Degraded' && c.reason === 'InvalidConfig'),
    );
    assert.match(c.message, /directory\.domains\.example\.com\.ldap\.url: ldap:\/\/host\[:port\] or ldaps:\/\/host\[:port\]/);
    assert.equal(k.get('deployments', 'cfgldap-edge', 'apps/v1'), undefined, 'nothing rolled out with it');
  });
});
