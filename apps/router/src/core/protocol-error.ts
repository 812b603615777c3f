/** RFC 6120 §8.3.2 error types. */
export type ErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/**
 * A protocol error as a value (STYLE.md §4): features return it; the IQ boundary turns it into an
 * error reply. Exceptions are bugs and become internal-server-error.
 */
export class ProtocolError {
  constructor(
    readonly condition: string,
    readonly type: ErrorType = defaultType(condition),
    readonly text?: string,
  ) {}
}

export function fail(condition: string, type?: ErrorType, text?: string): ProtocolError {
  return new ProtocolError(condition, type, text);
}

/** RFC 6120 §8.3.3: the usual type of each condition. */
function defaultType(condition: string): ErrorType {
  switch (condition) {
    case 'bad-request':
    case 'jid-malformed':
    case 'not-acceptable':
    case 'policy-violation':
      return 'modify';
    case 'forbidden':
    case 'not-authorized':
    case 'registration-required':
    case 'subscription-required':
      return 'auth';
    case 'internal-server-error':
    case 'remote-server-timeout':
    case 'resource-constraint':
      return 'wait';
    default:
      return 'cancel';
  }
}
