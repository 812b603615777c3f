export { Directories } from './directories.js';
export { LdapAuthenticator } from './ldap-authenticator.js';
export { DirectoryUnavailableError } from './ldap-pool.js';
export { escapeDnValue, escapeFilterValue } from './ldap-escape.js';
export { startTestDirectory, USERS as TEST_DIRECTORY_USERS, type TestDirectory } from './testing/test-directory.js';
