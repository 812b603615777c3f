import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { InProcessBus } from '#libs/bus';
import { configSchema } from '#libs/config';
import { parseJid } from '#libs/jid';
import { NS } from '#libs/stanza';
import { waitFor } from '#libs/testing';
import { parseElement, xml, type Element } from '#libs/xml';
import type { Registration } from '#libs/xmpp-kit';
import { Components } from '../../core/components.js';
import type { MediaContext, MediaIqRequest } from '../../media-relay.context.js';
import { forwardConnect } from './forward.js';
import { socks5Feature } from './index.js';
import { streamHash } from './stream-hash.js';

const silent = pino({ level: 'silent' });
const LIMITS = configSchema.parse({}).edge.limits;

/** The feature on real Components and an in-process bus: what media-relay gives it. */
async function setUp(media: object) {
  const config = configSchema.parse({ domains: ['example.com'], media: { enabled: true, ...media } });
  const components = new Components(config.domains, silent);
  const bus = new InProcessBus();
  const ctx = { config, bus, logger: silent, instanceId: 'media-1', components: { add: (c: never) => components.add(c) } } as unknown as MediaContext;
  const regs: Registration[] = await socks5Feature.setup(ctx, {});
  return { components, regs, stop: () => regs.reverse().forEach((undo) => undo()) };
}

async function ask(c: Components, type: 'get' | 'set', from: string, to: string, payload: Element): Promise<Element> {
  const m = c.match(to);
  assert.ok(m, `${to} is served`);
  const iq = parseElement(xml('iq', { type, id: 'q1', from, to }, payload).toString(), LIMITS);
  let out: Element | undefined;
  const req = (p: Element): MediaIqRequest => ({ iq, payload: p, from: parseJid(from), to: parseJid(to), domain: m.domain, env: {} as never });
  await m.iq.dispatch(iq, 'server', req, (r) => void (out = r));
  return out!;
}

const errorOf = (r: Element) => (r.attrs.type === 'error' ? r.getChild('error')!.elements()[0]!.name : r.attrs.type);

describe('XEP-0065 on proxy.<domain>', () => {
  const stops: (() => void)[] = [];
  after(() => stops.forEach((s) => s()));

  it('off: nothing is added, so nothing is declared or listed', async () => {
    const f = await setUp({ socks5: { enabled: false } });
    assert.deepEqual(f.regs, []);
    assert.deepEqual(f.components.domains(), []);
  });

  it('disco#info says proxy/bytestreams (§4); the streamhost query gives the announced address; strangers are forbidden', async () => {
    const f = await setUp({ publicHost: 'files.example.com', socks5: { host: '127.0.0.1', port: 0, publicPort: 17777 } });
    stops.push(f.stop);
    assert.deepEqual(f.components.domains(), ['proxy.example.com']);
    const info = (await ask(f.components, 'get', 'a@example.com/pc', 'proxy.example.com', xml('query', { xmlns: NS.discoInfo }))).getChild('query')!;
    assert.deepEqual({ ...info.getChild('identity')!.attrs }, { category: 'proxy', type: 'bytestreams', name: 'SOCKS5 Bytestreams Service' });
    assert.ok(info.getChildren('feature').some((x) => x.attrs.var === NS.bytestreams));
    const sh = (await ask(f.components, 'get', 'a@example.com/pc', 'proxy.example.com', xml('query', { xmlns: NS.bytestreams })))
      .getChild('query')!
      .getChild('streamhost')!;
    assert.deepEqual({ ...sh.attrs }, { jid: 'proxy.example.com', host: 'files.example.com', port: '17777' }, 'media.publicHost, media.socks5.publicPort');
    const remote = await ask(f.components, 'get', 'z@elsewhere.net/x', 'proxy.example.com', xml('query', { xmlns: NS.bytestreams }));
    assert.equal(errorOf(remote), 'forbidden');
  });

  it('activation (§6.3.5): bad input, unknown stream, one side, then both sides and a result; stop closes the port', async () => {
    const f = await setUp({ socks5: { host: '127.0.0.1', port: 0 } });
    const sh = (await ask(f.components, 'get', 'a@example.com/pc', 'proxy.example.com', xml('query', { xmlns: NS.bytestreams })))
      .getChild('query')!
      .getChild('streamhost')!;
    assert.equal(sh.attrs.host, '127.0.0.1', 'a specific listen host is announced when nothing else is set');
    const port = Number(sh.attrs.port);
    const activate = (from: string, sid: string | undefined, target: string) =>
      ask(f.components, 'set', from, 'proxy.example.com', xml('query', { xmlns: NS.bytestreams, ...(sid ? { sid } : {}) }, xml('activate', {}, target)));
    assert.equal(errorOf(await activate('a@example.com/pc', undefined, 'b@example.com/phone')), 'bad-request');
    assert.equal(errorOf(await activate('a@example.com/pc', 's', '@@')), 'jid-malformed');
    assert.equal(
      errorOf(await ask(f.components, 'set', 'a@example.com/pc', 'proxy.example.com', xml('query', { xmlns: NS.bytestreams, sid: 's' }))),
      'bad-request',
    );
    assert.equal(errorOf(await activate('a@example.com/pc', 's', 'b@example.com/phone')), 'item-not-found');
    const hash = streamHash('s', 'a@example.com/pc', 'b@example.com/phone');
    const one = await forwardConnect({ host: '127.0.0.1', port }, hash, 0, 5000);
    assert.ok(one.ok);
    assert.equal(errorOf(await activate('a@example.com/pc', 's', 'b@example.com/phone')), 'not-allowed');
    const two = await forwardConnect({ host: '127.0.0.1', port }, hash, 0, 5000);
    assert.ok(two.ok);
    assert.equal(errorOf(await activate('c@example.com/pc', 's', 'b@example.com/phone')), 'item-not-found', 'not the Requester');
    assert.equal(errorOf(await activate('a@example.com/pc', 's', 'B@Example.com/phone')), 'result', 'the Target JID is compared in canonical form');
    assert.equal(errorOf(await activate('a@example.com/pc', 's', 'b@example.com/phone')), 'not-allowed', 'already active');
    one.upstream.destroy();
    two.upstream.destroy();
    f.stop();
    assert.deepEqual(f.components.domains(), []);
    const refused = () =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.0.0.1', port });
        s.once('error', () => resolve(true));
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
      });
    await waitFor(refused, { what: 'the SOCKS5 port closed once the feature stopped' });
  });
});
