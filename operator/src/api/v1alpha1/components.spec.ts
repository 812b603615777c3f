import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configSchema } from '#libs/config';
import { listenPorts } from '#libs/runtime';
import { gliderConfig } from '../../controllers/xmppcluster/desired/glider-config.js';
import { HTTP_PORT, componentNames, declaration, internalPorts, isBuilt, servedPorts } from './components.js';
import type { XmppCluster } from './types.js';
import { xmppClusterSpec } from './xmpp-cluster.schema.js';

const cluster = (spec: object = {}): XmppCluster => ({
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'chat', namespace: 'glider', uid: 'u1', generation: 1 },
  spec: xmppClusterSpec.parse({ domains: ['example.com'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://m:27017' }, ...spec }),
});

describe('components.ts: the one declaration of what can be deployed and offered', () => {
  it('says "built" exactly for the apps that exist (run from the repository root)', () => {
    for (const c of componentNames) {
      const app = declaration(c).app;
      const slug = c.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
      if (app) assert.ok(existsSync(`apps/${app}/src/main.ts`), `${c}: apps/${app}/src/main.ts`);
      else assert.ok(!existsSync(`apps/${slug}/src/main.ts`), `${c}: apps/${slug} exists now: give it its app in components.ts`);
    }
    assert.deepEqual(componentNames.filter(isBuilt), ['edge', 'router', 'presence', 'muc', 'mediaRelay']);
  });

  it('every declared port is a libs/config port key the app listens on, and the app listens on nothing undeclared', () => {
    for (const [webSocket, federation] of [[true, true], [false, false], [true, false]] as const) {
      const config = configSchema.parse(
        gliderConfig(cluster({ edgeService: { webSocket }, federation: { enabled: federation }, components: { mediaRelay: { enabled: true } } })),
      );
      for (const c of componentNames.filter(isBuilt)) {
        const app = declaration(c).app!;
        const listening = listenPorts(app, config, { admin: app === 'router' });
        const served = [...servedPorts(c, { webSocket, federation }), ...internalPorts(c)];
        for (const p of served) {
          assert.ok(
            listening.some((l) => l.key === p.configKey && l.port === p.port),
            `${c} offers ${p.name} ${p.port}, and ${p.configKey} listens there`,
          );
        }
        const undeclared = listening.filter((l) => l.port !== HTTP_PORT && ![...declaration(c).ports, ...internalPorts(c)].some((p) => p.configKey === l.key));
        assert.deepEqual(undeclared, [], `${c} listens on ports components.ts does not declare`);
      }
    }
  });

  it('offers the s2s ports exactly when federation is enabled (the edge listens on them only then)', () => {
    const s2s = (federation: boolean) => servedPorts('edge', { webSocket: true, federation }).filter((p) => p.federation).map((p) => p.port);
    assert.deepEqual(s2s(true), [5269, 5270]);
    assert.deepEqual(s2s(false), []);
    const off = configSchema.parse(gliderConfig(cluster({})));
    assert.equal(off.s2s.enabled, false, 'the CRD defaults to what the config defaults to: federation off');
    assert.ok(!listenPorts('edge', off, { admin: false }).some((l) => l.key.startsWith('s2s.')));
  });
});
