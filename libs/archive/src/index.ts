export { stampStanzaId, stripStanzaIds, stanzaIdBy } from './stanza-id.js';
export { isArchivable } from './archivable.js';
export { parseArchiveQuery, MAM_EXTENDED, type ArchiveQuery, type PageLimits } from './query-form.js';
export { resultMessage, finElement, queryFieldsForm, metadataElement } from './query-result.js';
