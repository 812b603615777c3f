/** A string that is not a valid JID (RFC 7622); `message` says which part and why. */
export class JidError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'JidError';
  }
}
