/** Stream error conditions (RFC 6120 §4.9.3) the XML layer can raise; the edge sends them as <stream:error/>. */
export type XmlErrorCondition =
  'not-well-formed' | 'restricted-xml' | 'policy-violation' | 'invalid-namespace' | 'unsupported-encoding' | 'invalid-xml' | 'bad-format';

export class XmlParseError extends Error {
  readonly condition: XmlErrorCondition;

  constructor(condition: XmlErrorCondition, text: string) {
    super(text);
    this.name = 'XmlParseError';
    this.condition = condition;
  }
}
