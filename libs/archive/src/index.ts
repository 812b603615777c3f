export { stampStanzaId, stripStanzaIds, stanzaIdBy } from './stanza-id.js';
export { isArchivable } from './archivable.js';
