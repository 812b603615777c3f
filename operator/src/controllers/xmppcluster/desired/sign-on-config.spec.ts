import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '#libs/config';
import { xmppClusterSpec } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { deployment } from './deployment.js';
import { configMap, gliderConfig } from './glider-config.js';

const cluster = (spec: object): XmppCluster => ({
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'chat', namespace: 'glider', uid: 'u1', generation: 1 },
  spec: xmppClusterSpec.parse({ domains: ['example.com', 'example.org'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://m:27017' }, ...spec }),
});

const signOn = {
  directory: {
    domains: {
      'example.com': {
        ldap: {
          url: 'ldap://ldap.example.com:389',
          startTls: true,
          tls: { caSecretRef: { name: 'ldap', key: 'ca.crt' } },
          bindDn: 'cn=glider,ou=services,dc=example,dc=com',
          bindPasswordSecretRef: { name: 'ldap', key: 'bind-password' },
          userBase: 'ou=people,dc=example,dc=com',
          loginFilter: '(memberOf=cn=xmpp,ou=groups,dc=example,dc=com)',
          poolSize: 8,
        },
        sharedRoster: { groupBase: 'ou=groups,dc=example,dc=com', maxGroups: 500 },
      },
    },
  },
  sso: { domains: { 'example.org': { oidc: { issuer: 'https://login.example.org/realms/staff', audience: 'xmpp://example.org', requiredScope: 'xmpp' } } } },
  invites: { enabled: true, maxUses: 50, landingBaseUrl: 'https://chat.example.com' },
};

describe('directory, sso and invites from the XmppCluster spec (same keys as libs/config)', () => {
  it('become config keys the config accepts, Secret references as mounted file paths', () => {
    const parsed = configSchema.parse(gliderConfig(cluster(signOn)));
    const ldap = parsed.directory.domains['example.com']!.ldap;
    assert.equal(ldap.bindPasswordFile, '/etc/glider/secrets/directory/example.com/bind-password');
    assert.equal(ldap.tls.caFile, '/etc/glider/secrets/directory/example.com/ca.crt');
    assert.equal(ldap.url, 'ldap://ldap.example.com:389');
    assert.equal(ldap.startTls, true);
    assert.equal(ldap.poolSize, 8);
    assert.equal(ldap.loginFilter, '(memberOf=cn=xmpp,ou=groups,dc=example,dc=com)');
    assert.equal(ldap.operationTimeoutMs, 5_000, 'a key the spec leaves out takes the config default');
    assert.equal(parsed.directory.domains['example.com']!.sharedRoster?.maxGroups, 500);
    assert.equal(parsed.sso.domains['example.org']!.oidc.issuer, 'https://login.example.org/realms/staff');
    assert.equal(parsed.sso.domains['example.org']!.oidc.clockSkewSec, 30);
    assert.deepEqual([parsed.invites.enabled, parsed.invites.maxUses, parsed.invites.landingBaseUrl], [true, 50, 'https://chat.example.com']);
  });

  it('sharedRoster, search, vcard and provisionOnLookup pass through under the same keys (no Secrets in them)', () => {
    const extra = {
      search: { fields: { user: 'sAMAccountName' }, usernameAttribute: 'sAMAccountName' },
      vcard: { attributes: { photo: 'thumbnailPhoto' } },
      provisionOnLookup: false,
    };
    const spec = structuredClone(signOn);
    Object.assign(spec.directory.domains['example.com'], extra);
    const domain = (gliderConfig(cluster(spec)) as { directory: { domains: Record<string, Record<string, unknown>> } }).directory.domains['example.com']!;
    assert.deepEqual(domain.search, extra.search);
    assert.deepEqual(domain.vcard, extra.vcard);
    assert.deepEqual(domain.sharedRoster, { groupBase: 'ou=groups,dc=example,dc=com', maxGroups: 500 });
    const parsed = configSchema.parse(gliderConfig(cluster(spec))).directory.domains['example.com']!;
    assert.equal(parsed.search.usernameAttribute, 'sAMAccountName', 'libs/config takes them');
    assert.equal(parsed.vcard?.attributes.photo, 'thumbnailPhoto');
    assert.equal(parsed.provisionOnLookup, false);
  });

  it('the ConfigMap names the files, never a Secret key or the Secret refs themselves', () => {
    const yaml = configMap(cluster(signOn), gliderConfig(cluster(signOn))).data['config.yaml'];
    assert.match(yaml, /bindPasswordFile: \/etc\/glider\/secrets\/directory\/example.com\/bind-password/);
    assert.doesNotMatch(yaml, /SecretRef/);
  });

  it('spec.config still adds what the blocks leave out; the blocks win on the keys they set', () => {
    const parsed = configSchema.parse(
      gliderConfig(
        cluster({
          ...signOn,
          config: { invites: { enabled: false, defaultUses: 3 }, directory: { domains: { 'example.com': { ldap: { probeIntervalMs: 500 } } } } },
        }),
      ),
    );
    assert.deepEqual([parsed.invites.enabled, parsed.invites.defaultUses], [true, 3]);
    assert.equal(parsed.directory.domains['example.com']!.ldap.probeIntervalMs, 500);
  });

  it('edge, router and presence pods get one read-only projected volume of the directory Secrets; the others none', () => {
    const x = cluster({ ...signOn, components: { muc: { enabled: true }, mediaRelay: { enabled: true } } });
    const inputs = { replicas: 1, configHash: 'h', tlsSecretName: 'chat-tls', adminTokenSecretName: 'chat-admin-token', image: { repository: 'g', tag: 't' } };
    for (const c of ['edge', 'router', 'presence', 'muc', 'mediaRelay'] as const) {
      const pod = deployment(x, c, x.spec.components[c], inputs).spec.template.spec;
      const volume = pod.volumes.find((v) => v.name === 'directory-secrets');
      const mount = pod.containers[0]!.volumeMounts.find((m) => m.name === 'directory-secrets');
      if (c === 'muc' || c === 'mediaRelay') {
        assert.equal(volume, undefined, c);
        continue;
      }
      assert.deepEqual(volume, {
        name: 'directory-secrets',
        projected: {
          defaultMode: 0o440,
          sources: [
            { secret: { name: 'ldap', items: [{ key: 'bind-password', path: 'example.com/bind-password' }] } },
            { secret: { name: 'ldap', items: [{ key: 'ca.crt', path: 'example.com/ca.crt' }] } },
          ],
        },
      });
      assert.deepEqual(mount, { name: 'directory-secrets', mountPath: '/etc/glider/secrets/directory', readOnly: true });
      assert.ok(!JSON.stringify(pod.containers[0]!.env).includes('ldap'), 'no directory Secret in the environment');
    }
  });

  it('the CRD schema refuses a URL that is not ldap:// or ldaps://, and a sso issuer that is no URL', () => {
    const dir = (ldap: object) => ({ directory: { domains: { 'example.com': { ldap: { userBase: 'ou=p', ...ldap } } } } });
    assert.throws(() => cluster(dir({ url: 'http://ldap.example.com' })), /url/);
    assert.throws(() => cluster(dir({ url: 'ldap://ldap.example.com/ou=people' })), /url/);
    assert.doesNotThrow(() => cluster(dir({ url: 'ldaps://ldap.example.com:636' })));
    assert.throws(() => cluster({ sso: { domains: { 'example.org': { oidc: { issuer: 'login.example.org', audience: 'a' } } } } }), /issuer/);
  });
});
