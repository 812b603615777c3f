import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ServiceDirectory } from '#libs/addressing';
import { MucHarness, SERVICE } from './testing/muc-harness.js';

describe('muc service declaration', () => {
  it('off (muc.enabled false, the default): nothing declared, so nothing is routed to it or listed', async () => {
    const h = await MucHarness.start({ muc: { enabled: false } });
    try {
      assert.equal(h.muc.runtime, undefined);
      const dir = new ServiceDirectory(h.bus, {
        localDomains: ['example.com'],
        partitions: 8,
        heartbeatMs: 100,
        outageGraceMs: 1000,
        logger: pino({ level: 'silent' }),
      });
      await dir.start();
      assert.deepEqual(dir.table.serviceDomains(), []);
      await dir.stop();
    } finally {
      await h.close();
    }
  });

  it('on: declares conference.<each domain>, and the table sends a room its stanzas', async () => {
    const h = await MucHarness.start();
    try {
      const rt = h.muc.runtime!;
      await h.waitFor(() => rt.addressing.serviceDomains().includes(SERVICE), 'the declaration');
      assert.deepEqual(rt.domains(), [SERVICE]);
    } finally {
      await h.close();
    }
  });
});
