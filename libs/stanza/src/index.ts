export { NS, type Namespace } from './namespaces.js';
export {
  StanzaError,
  stanzaError,
  isStanzaErrorCondition,
  DEFAULT_ERROR_TYPE,
  type StanzaErrorCondition,
  type StanzaErrorType,
  type StanzaErrorOptions,
} from './stanza-error.js';
export { errorReply, iqResult } from './replies.js';
export { streamError, type StreamErrorCondition } from './stream-error.js';
export { stanzaKind, type StanzaKind } from './stanza-kind.js';
export { delayElement } from './delay.js';
export { dataForm, readSubmittedForm, FormError, type FormDefinition, type FormField, type FieldType, type FormValues } from './data-form.js';
