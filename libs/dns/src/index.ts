export { DnsClient, DnsTimeoutError, parseResolver, recordsFor, type DnsClientOptions, type DnsAnswer } from './dns-client.js';
export { RR, RCODE, DnsFormatError, encodeQuery, decodeResponse, encodeName, readName, type DnsRecord, type DnsResponse } from './dns-message.js';
