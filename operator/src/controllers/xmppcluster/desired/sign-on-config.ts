import type { ComponentName } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';

/** Where the directory Secrets are mounted: `<dir>/<domain>/bind-password` and `<dir>/<domain>/ca.crt`. */
export const DIRECTORY_SECRETS = '/etc/glider/secrets/directory';
const BIND_PASSWORD = 'bind-password';
const CA = 'ca.crt';

/**
 * The components that talk to the directory and so get its Secrets: the edge (sign-on), presence
 * (shared rosters, XEP-0055 search) and the router (vCards from directory attributes). The others
 * never see the bind password.
 */
export const DIRECTORY_COMPONENTS: readonly ComponentName[] = ['edge', 'router', 'presence'];

type Obj = Record<string, unknown>;
type Ref = { name: string; key: string };

/**
 * libs/config `directory`, `sso` and `invites` from the spec's blocks (sign-on.schema.ts): the same
 * keys, with each Secret reference replaced by the path of the file the pods get (never the value:
 * the ConfigMap holds no secret). Only what the spec sets is written; the config's defaults do the rest.
 */
export function signOnConfig(x: XmppCluster): Obj {
  const s = x.spec;
  const out: Obj = {};
  if (s.directory) {
    const domains: Obj = {};
    for (const [domain, { ldap, ...others }] of Object.entries(s.directory.domains)) {
      const { bindPasswordSecretRef, tls, ...rest } = ldap;
      const { caSecretRef, ...tlsRest } = tls ?? {};
      const config: Obj = { ...rest };
      if (bindPasswordSecretRef) config.bindPasswordFile = `${DIRECTORY_SECRETS}/${domain}/${BIND_PASSWORD}`;
      if (tls) config.tls = { ...tlsRest, ...(caSecretRef ? { caFile: `${DIRECTORY_SECRETS}/${domain}/${CA}` } : {}) };
      // sharedRoster, search, vcard, provisionOnLookup: no Secrets in them, the same keys as the config
      domains[domain] = { ldap: config, ...others };
    }
    out.directory = { domains };
  }
  if (s.sso) out.sso = { domains: s.sso.domains };
  if (s.invites) out.invites = s.invites;
  return out;
}

/** The Secret keys the spec's sign-on blocks name, for the SecretNotFound / SecretKeyNotFound checks. */
export function signOnSecretRefs(x: XmppCluster): { ref: Ref; what: string }[] {
  const out: { ref: Ref; what: string }[] = [];
  for (const [domain, { ldap }] of Object.entries(x.spec.directory?.domains ?? {})) {
    if (ldap.bindPasswordSecretRef) out.push({ ref: ldap.bindPasswordSecretRef, what: `directory.domains.${domain}.ldap.bindPasswordSecretRef` });
    if (ldap.tls?.caSecretRef) out.push({ ref: ldap.tls.caSecretRef, what: `directory.domains.${domain}.ldap.tls.caSecretRef` });
  }
  return out;
}

/**
 * One projected volume with every directory Secret key at `<domain>/<file>`, read-only to the app's
 * group (the kubelet updates it in place: a rotated bind password is read at the next service bind,
 * without a restart). Undefined when the spec names none or `c` does not talk to the directory.
 */
export function directorySecretsVolume(x: XmppCluster, c: ComponentName): { volume: Obj; mount: Obj } | undefined {
  if (!DIRECTORY_COMPONENTS.includes(c)) return undefined;
  const sources: Obj[] = [];
  for (const [domain, { ldap }] of Object.entries(x.spec.directory?.domains ?? {})) {
    const item = (ref: Ref, file: string): Obj => ({ secret: { name: ref.name, items: [{ key: ref.key, path: `${domain}/${file}` }] } });
    if (ldap.bindPasswordSecretRef) sources.push(item(ldap.bindPasswordSecretRef, BIND_PASSWORD));
    if (ldap.tls?.caSecretRef) sources.push(item(ldap.tls.caSecretRef, CA));
  }
  if (sources.length === 0) return undefined;
  return {
    volume: { name: 'directory-secrets', projected: { sources, defaultMode: 0o440 } },
    mount: { name: 'directory-secrets', mountPath: DIRECTORY_SECRETS, readOnly: true },
  };
}
