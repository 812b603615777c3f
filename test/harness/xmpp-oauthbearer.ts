import type { Client, XmlElement } from '@xmpp/client';

/** What a server said in an RFC 7628 §3.2.2 error challenge (the JSON, decoded). */
export type BearerError = Record<string, string>;

interface Credentials {
  username?: string;
  /** The access token (xmpp.js hands the mechanism its `password`). */
  password?: string;
  authzid?: string;
  host?: string;
}

/**
 * SASL OAUTHBEARER (RFC 7628) as an xmpp.js mechanism (saslmechanisms' interface: xmpp.js 0.14 ships
 * none for it; an app adds one with `xmpp.saslFactory.use(...)`, as `useOAuthBearer` does). §3.1
 * client response `n,[a=authzid],^Ahost=…^Aauth=Bearer <token>^A^A`; on an error challenge (§3.2.2)
 * it keeps the JSON for the caller and answers the single %x01 byte the RFC requires.
 */
function oauthBearer(onError: (e: BearerError) => void): new () => object {
  class OAuthBearer {
    private failed = false;
    response(cred: Credentials): string {
      if (this.failed) return '\x01';
      const gs2 = `n,${cred.authzid ? `a=${cred.authzid.replace(/=/g, '=3D').replace(/,/g, '=2C')}` : ''},`;
      return `${gs2}\x01host=${cred.host ?? ''}\x01auth=Bearer ${cred.password ?? ''}\x01\x01`;
    }
    challenge(chal: string): this {
      this.failed = true;
      onError(JSON.parse(chal) as BearerError);
      return this;
    }
  }
  Object.assign(OAuthBearer.prototype, { name: 'OAUTHBEARER', clientFirst: true });
  return OAuthBearer;
}

/** Adds OAUTHBEARER to the client's SASL and SASL2 mechanisms; `onError` gets each §3.2.2 error JSON. */
export function useOAuthBearer(xmpp: Client, onError: (e: BearerError) => void = () => {}): void {
  (xmpp as unknown as { saslFactory: { use(m: unknown): void } }).saslFactory.use(oauthBearer(onError));
}

/**
 * A client that logs in with RFC 6120 SASL although the server offers XEP-0388 SASL2 (xmpp.js takes
 * SASL2 whenever offered, with no option against it): `<authentication xmlns='urn:xmpp:sasl:2'/>`
 * is taken out of the stream features before its middleware reads them.
 */
export function withoutSasl2(xmpp: Client): void {
  const entity = xmpp as unknown as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
  const emit = entity.emit.bind(entity);
  entity.emit = (event, ...args) => {
    const el = args[0] as XmlElement | undefined;
    if (event === 'element' && el?.name === 'stream:features')
      el.children = el.children.filter((c) => typeof c === 'string' || !(c.name === 'authentication' && c.attrs.xmlns === 'urn:xmpp:sasl:2'));
    return emit(event, ...args);
  };
}
