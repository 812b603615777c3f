export { Directories } from './directories.js';
export { LdapAuthenticator } from './ldap-authenticator.js';
export { OidcVerifier } from './oidc-verifier.js';
export { DirectoryRefusedError, DirectoryUnavailableError } from './ldap-pool.js';
export { escapeDnValue, escapeFilterValue } from './ldap-escape.js';
export { readDirectoryGroups, rdnValue, type DirectoryGroup, type GroupsRead } from './directory-groups.js';
export { SharedRoster, type SharedContact, type SharedRosterChange } from './shared-roster.js';
export { SharedRosterSource, type RefreshResult } from './shared-roster-source.js';
export {
  startTestDirectory,
  USERS as TEST_DIRECTORY_USERS,
  GROUPS as TEST_DIRECTORY_GROUPS,
  PEOPLE as TEST_DIRECTORY_PEOPLE,
  type TestDirectory,
} from './testing/test-directory.js';
export { searchDirectoryUsers, DEFAULT_SEARCH_FIELDS, type FoundUser, type UserQuery } from './user-search.js';
export { DirectoryUsers } from './directory-users.js';
export { readDirectoryProfile, type DirectoryProfile, type ProfileField } from './directory-profile.js';
export { DirectoryProvisioning, directoryDownError, type UserExistence } from './directory-provisioning.js';
export { provisionAccount } from './provision-account.js';
