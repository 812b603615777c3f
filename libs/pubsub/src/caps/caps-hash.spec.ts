import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '#libs/config';
import { parseElement } from '#libs/xml';
import { capsOf, verificationString, verifyCaps } from './caps-hash.js';

const LIMITS = configSchema.parse({}).edge.limits;
const parse = (s: string) => parseElement(s, LIMITS);

// XEP-0115 §5.2 (simple) and §5.3 (complex) examples, with the ver strings the XEP gives.
const SIMPLE = `<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity category='client' type='pc' name='Exodus 0.9.1'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/caps'/>
</query>`;

const COMPLEX = `<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
    <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
    <field var='os'><value>Mac</value></field>
    <field var='os_version'><value>10.5.1</value></field>
    <field var='software'><value>Psi</value></field>
    <field var='software_version'><value>0.11</value></field>
  </x>
</query>`;

describe('XEP-0115 §5 verification', () => {
  test('§5.2: the simple example hashes to the ver of the XEP', () => {
    assert.equal(
      verificationString(parse(SIMPLE)),
      'client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<',
    );
    assert.equal(verifyCaps(parse(SIMPLE), 'sha-1', 'QgayPKawpkPSDYmwT/WM94uAlu0='), true);
  });

  test('§5.3: the complex example (languages, an extended form) hashes to the ver of the XEP', () => {
    assert.equal(verifyCaps(parse(COMPLEX), 'sha-1', 'q07IKJEyjvHSyhy//CH0CxmKi8w='), true);
  });

  test('§5.4: a different ver, an unknown hash function, duplicate features or FORM_TYPEs are refused', () => {
    assert.equal(verifyCaps(parse(SIMPLE), 'sha-1', 'q07IKJEyjvHSyhy//CH0CxmKi8w='), false);
    assert.equal(verifyCaps(parse(SIMPLE), 'md5', 'QgayPKawpkPSDYmwT/WM94uAlu0='), false);
    const dup = SIMPLE.replace('</query>', "<feature var='http://jabber.org/protocol/muc'/></query>");
    assert.equal(verificationString(parse(dup)), undefined);
    const twoForms = COMPLEX.replace(
      '</query>',
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field></x></query>",
    );
    assert.equal(verificationString(parse(twoForms)), undefined);
  });

  test('capsOf reads <c/> of a presence; none, or one without ver, is no caps', () => {
    const p = parse(`<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org' ver='abc='/></presence>`);
    assert.deepEqual(capsOf(p), { node: 'https://example.org', ver: 'abc=', hash: 'sha-1' });
    assert.equal(capsOf(parse('<presence/>')), undefined);
    assert.equal(capsOf(parse(`<presence><c xmlns='http://jabber.org/protocol/caps' node='n'/></presence>`)), undefined);
  });
});
