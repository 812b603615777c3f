import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startSlapd, tempDir, type Slapd } from '#libs/testing';
import { makeTestPki } from '#libs/tls';

export const SUFFIX = 'dc=example,dc=test';
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;
export const SERVICE_DN = `cn=glider,ou=services,${SUFFIX}`;
export const XMPP_GROUP = `cn=xmpp,${GROUPS}`;

/** Who is in the test directory: uid, password, and what is special about them. */
export const USERS = {
  alice: { password: 'alice-pw', cn: 'Alice Liddell', groups: ['xmpp', 'engineering'] },
  bob: { password: 'bob-pw', cn: 'Bob Builder', groups: ['xmpp', 'engineering'] },
  /** Not in the xmpp group: the login filter refuses her. */
  carol: { password: 'carol-pw', cn: 'Carol Danvers', groups: ['sales'] },
  /** employeeType=disabled: the disabled filter matches. */
  dave: { password: 'dave-pw', cn: 'Dave Disabled', groups: ['xmpp'], disabled: true },
} as const;

function ldif(): string {
  const out = [
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n`,
  ];
  out.push(`dn: ou=services,${SUFFIX}\nobjectClass: organizationalUnit\nou: services\n`);
  out.push(`dn: ${SERVICE_DN}\nobjectClass: person\ncn: glider\nsn: service\nuserPassword: service-pw\n`);
  for (const [uid, u] of Object.entries(USERS)) {
    const [given, sn] = u.cn.split(' ');
    out.push(
      `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${u.cn}\ngivenName: ${given}\nsn: ${sn}\nmail: ${uid}@example.test\nuserPassword: ${u.password}\n` +
        ('disabled' in u ? 'employeeType: disabled\n' : ''),
    );
  }
  const groups = new Map<string, string[]>();
  for (const [uid, u] of Object.entries(USERS)) for (const g of u.groups) groups.set(g, [...(groups.get(g) ?? []), uid]);
  for (const [g, members] of groups) {
    out.push(`dn: cn=${g},${GROUPS}\nobjectClass: groupOfNames\ncn: ${g}\n${members.map((m) => `member: uid=${m},${PEOPLE}`).join('\n')}\n`);
  }
  return out.join('\n');
}

export interface TestDirectory {
  slapd: Slapd;
  caFile: string;
  /** The service account's password file (a mounted Secret in production). */
  bindPasswordFile: string;
  /** An `ldap` config for search-then-bind over StartTLS with the service account. */
  ldapConfig(overrides?: Record<string, unknown>): Record<string, unknown>;
  stop(): Promise<void>;
}

/** A real slapd with the users above, TLS from a throwaway CA (server name localhost / 127.0.0.1). */
export async function startTestDirectory(): Promise<TestDirectory> {
  const dir = tempDir('glider-ldap-pki-');
  const pki = makeTestPki(dir.path, await freePort(), ['localhost']);
  const slapd = await startSlapd({ suffix: SUFFIX, ldif: ldif(), tls: { certFile: join(dir.path, 'server.crt'), keyFile: pki.keyFile, caFile: pki.caCert } });
  const bindPasswordFile = join(dir.path, 'ldap-bind-password');
  writeFileSync(bindPasswordFile, 'service-pw\n', { mode: 0o600 });
  return {
    slapd,
    caFile: pki.caCert,
    bindPasswordFile,
    ldapConfig: (overrides = {}) => ({
      url: `ldap://localhost:${slapd.port}`,
      startTls: true,
      tls: { caFile: pki.caCert },
      bindDn: SERVICE_DN,
      bindPasswordFile,
      userBase: PEOPLE,
      userFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
      loginFilter: `(memberOf=${XMPP_GROUP})`,
      disabledFilter: '(employeeType=disabled)',
      operationTimeoutMs: 3_000,
      connectTimeoutMs: 3_000,
      probeIntervalMs: 100,
      ...overrides,
    }),
    stop: async () => {
      await slapd.stop();
      dir.remove();
    },
  };
}
