import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseJid } from '#libs/jid';
import { NS } from '#libs/stanza';
import { parseElement, xml, type Element } from '#libs/xml';
import { configSchema } from '#libs/config';
import type { MediaIqRequest } from '../media-relay.context.js';
import { Components } from './components.js';

const LIMITS = configSchema.parse({}).edge.limits;
const silent = pino({ level: 'silent' });

async function ask(c: Components, to: string, payload: Element): Promise<Element> {
  const m = c.match(to);
  assert.ok(m, `${to} is served`);
  const iq = parseElement(xml('iq', { type: 'get', id: 'q1', from: 'a@example.com/x', to }, payload).toString(), LIMITS);
  let out: Element | undefined;
  const req = (p: Element): MediaIqRequest => ({ iq, payload: p, from: parseJid('a@example.com/x'), to: parseJid(to), domain: m.domain, env: {} as never });
  await m.iq.dispatch(iq, 'server', req, (r) => void (out = r));
  return out!;
}

describe('media-relay components', () => {
  it('serves <label>.<domain> for each local domain, and only while added', () => {
    const c = new Components(['example.com', 'example.org'], silent);
    const h = c.add({ label: 'upload', identity: { category: 'store', type: 'file', name: 'Up' }, discoFeatures: ['urn:x'] });
    assert.deepEqual(c.domains(), ['upload.example.com', 'upload.example.org']);
    assert.equal(c.match('upload.example.org')?.domain, 'example.org');
    assert.equal(c.match('upload.elsewhere.net'), undefined);
    assert.equal(c.match('proxy.example.com'), undefined);
    assert.throws(() => c.add({ label: 'upload', identity: { category: 'store', type: 'file', name: 'Up' }, discoFeatures: [] }), /twice/);
    assert.throws(() => c.add({ label: 'Bad.Label', identity: { category: 'x', type: 'y', name: 'z' }, discoFeatures: [] }), /DNS label/);
    h.remove();
    assert.deepEqual(c.domains(), []);
  });

  it('answers disco#info from the declaration (XEP-0030 §3.1), with XEP-0128 forms, and item-not-found for a node', async () => {
    const c = new Components(['example.com'], silent);
    const form = xml('x', { xmlns: NS.xdata, type: 'result' });
    c.add({
      label: 'upload',
      identity: { category: 'store', type: 'file', name: 'Up' },
      discoFeatures: ['urn:x'],
      infoForms: (d) => (d === 'example.com' ? [form] : []),
    });
    const info = (await ask(c, 'upload.example.com', xml('query', { xmlns: NS.discoInfo }))).getChild('query')!;
    assert.equal(info.getChild('identity')!.attrs.category, 'store');
    assert.deepEqual(
      info.getChildren('feature').map((f) => f.attrs.var),
      [NS.discoInfo, NS.discoItems, 'urn:x'].sort(),
    );
    assert.ok(info.getChild('x', NS.xdata));
    const node = await ask(c, 'upload.example.com', xml('query', { xmlns: NS.discoInfo, node: 'n' }));
    assert.equal(node.attrs.type, 'error');
    assert.ok(node.getChild('error')!.getChild('item-not-found'));
  });
});
