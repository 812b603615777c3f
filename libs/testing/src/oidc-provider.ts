import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

export interface OidcClientSpec {
  /** The user the client's tokens name (claim preferred_username). */
  user: string;
  /** Access token lifetime in seconds (default 600). */
  ttlSec?: number;
}

export interface TestOidcProvider {
  issuer: string;
  /** The audience tokens carry unless another resource is asked for. */
  audience: string;
  /** An access token (a JWT signed by the provider) from the client_credentials grant of `clientId`. */
  token(clientId: string, opts?: { resource?: string; scope?: string }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real OpenID Connect provider (the certified `oidc-provider` package) on a loopback port, issuing
 * RFC 9068 JWT access tokens through the client_credentials grant with RFC 8707 resource indicators:
 * each client stands for one user (`preferred_username` added by extraTokenClaims), the resource
 * asked for becomes `aud`. Keys are generated per run.
 */
export async function startOidcProvider(clients: Record<string, OidcClientSpec>, audience = 'xmpp://example.test'): Promise<TestOidcProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `k-${Math.random().toString(36).slice(2)}`, alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A dev dependency without type declarations: loaded only by tests.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the `as string` keeps tsc from asking for declarations
  const { default: Provider } = (await import('oidc-provider' as string)) as {
    default: new (issuer: string, config: unknown) => { callback(): Parameters<Server['on']>[1] };
  };
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: Object.keys(clients).map((id) => ({
      client_id: id,
      client_secret: `${id}-secret`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'xmpp',
    })),
    scopes: ['xmpp'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        getResourceServerInfo: (_ctx: unknown, resource: string, client: { clientId: string }) => ({
          scope: 'xmpp',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: clients[client.clientId]?.ttlSec ?? 600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: { ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? 600 },
    extraTokenClaims: (_ctx: unknown, token: { clientId: string }) => ({ preferred_username: clients[token.clientId]?.user }),
  });
  server.on('request', provider.callback());
  return {
    issuer,
    audience,
    async token(clientId, opts = {}) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope: opts.scope ?? 'xmpp', resource: opts.resource ?? audience });
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
      const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!res.ok || !json.access_token) throw new Error(`token for ${clientId}: ${res.status} ${json.error ?? ''} ${json.error_description ?? ''}`);
      return json.access_token;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
