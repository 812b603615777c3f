import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { xml, type Element } from '#libs/xml';
import type { RawClient } from './raw-client.js';

export const NS_SASL2 = 'urn:xmpp:sasl:2';
export const NS_BIND2 = 'urn:xmpp:bind:0';
export const NS_FAST = 'urn:xmpp:fast:0';

/**
 * XEP-0388 SCRAM-SHA-256 (optionally -PLUS) on a RawClient: <authenticate/> with `extras`
 * (<user-agent/>, <bind/>, <resume/>, <request-token/>) and the initial response, the challenge,
 * the response; returns <success/> (its server signature checked) or <failure/>.
 */
export async function scram2(
  c: RawClient,
  user: string,
  password: string,
  extras: Element[] = [],
  cb?: 'tls-exporter' | 'tls-server-end-point',
): Promise<Element> {
  const mechanism = cb ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256';
  const gs2 = cb ? `p=${cb},,` : 'n,,';
  const first = `n=${user},r=${randomBytes(18).toString('base64')}`;
  c.send(xml('authenticate', { xmlns: NS_SASL2, mechanism }, xml('initial-response', {}, Buffer.from(gs2 + first).toString('base64')), ...extras));
  const challenge = await c.element();
  if (challenge.name !== 'challenge') return challenge;
  const serverFirst = Buffer.from(challenge.text(), 'base64').toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)]));
  const cbData = cb ? c.bindingData(cb) : Buffer.alloc(0);
  const withoutProof = `c=${Buffer.concat([Buffer.from(gs2), cbData]).toString('base64')},r=${attrs.r}`;
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s ?? '', 'base64'), Number(attrs.i), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const authMessage = `${first},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', createHash('sha256').update(clientKey).digest()).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  c.send(xml('response', { xmlns: NS_SASL2 }, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64')));
  const outcome = await c.element();
  if (outcome.name === 'success') {
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    const expected = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    const data = Buffer.from(outcome.getChildText('additional-data') ?? '', 'base64').toString();
    if (data !== `v=${expected}`) throw new Error(`server signature mismatch: ${outcome.toString()}`);
  }
  return outcome;
}

/** XEP-0484 with an HT-SHA-256-* mechanism (draft-schmaus-kitten-sasl-ht): one message; returns <success/> or <failure/>. */
export async function ht(c: RawClient, user: string, token: string, mechanism: string, extras: Element[] = []): Promise<Element> {
  const cb = mechanism.endsWith('-EXPR')
    ? c.bindingData('tls-exporter')
    : mechanism.endsWith('-ENDP')
      ? c.bindingData('tls-server-end-point')
      : Buffer.alloc(0);
  const proof = createHmac('sha256', token)
    .update(Buffer.concat([Buffer.from('Initiator'), cb]))
    .digest();
  c.send(
    xml(
      'authenticate',
      { xmlns: NS_SASL2, mechanism },
      xml('initial-response', {}, Buffer.concat([Buffer.from(`${user}\0`), proof]).toString('base64')),
      ...extras,
    ),
  );
  const outcome = await c.element();
  if (outcome.name === 'success') {
    const expected = createHmac('sha256', token)
      .update(Buffer.concat([Buffer.from('Responder'), cb]))
      .digest('base64');
    if (outcome.getChildText('additional-data') !== expected) throw new Error(`HT server proof mismatch: ${outcome.toString()}`);
  }
  return outcome;
}

export const userAgent = (id: string, software = 'GliderTest'): Element => xml('user-agent', { xmlns: NS_SASL2, id }, xml('software', {}, software));
