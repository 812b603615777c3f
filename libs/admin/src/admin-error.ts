/**
 * Why an admin operation refused, independent of the protocol that asked: the gRPC API maps it to a
 * status code (admin.controller.ts), XEP-0133 to a stanza error (apps/router xep-0133-admin).
 */
export type AdminErrorKind = 'invalid' | 'exists' | 'not-found' | 'unavailable';

export class AdminError extends Error {
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export function invalid(message: string): AdminError {
  return new AdminError('invalid', message);
}
