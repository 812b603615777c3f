import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterRole } from './glider.js';

const cmd = (app: string) => `/usr/bin/node --enable-source-maps /work/dist/apps/${app}/src/main.js`;

test('cluster processes are named by their own id, not by the order the process tree lists them', () => {
  assert.deepEqual(clusterRole(cmd('edge'), 'PATH=/bin\0GLIDER_EDGE__ID=edge-1\0GLIDER_BUS__KIND=nats\0'), { role: 'edge', id: 'edge-1' });
  assert.deepEqual(clusterRole(cmd('router'), 'GLIDER_ROUTER__ID=router-2\0'), { role: 'router', id: 'router-2' });
  assert.deepEqual(clusterRole(cmd('presence'), 'GLIDER_PRESENCE__ID=presence-1'), { role: 'presence', id: 'presence-1' });
});

test('nats-server, apps without an id, and other processes', () => {
  assert.deepEqual(clusterRole('/usr/bin/nats-server -js -p 4222', ''), { role: 'nats-server', id: 'nats-server' });
  assert.deepEqual(clusterRole(cmd('edge'), 'PATH=/bin\0GLIDER_ROUTER__ID=router-1\0'), { role: 'edge' });
  assert.equal(clusterRole('/usr/bin/node scripts/cluster.mjs --base-port 5222', 'GLIDER_LOG__LEVEL=warn'), undefined);
});
