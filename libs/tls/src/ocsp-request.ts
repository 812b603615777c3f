import { createHash, X509Certificate } from 'node:crypto';
import { children, encodeTlv, OCTET_STRING, readTlv, SEQUENCE, type Tlv } from './der.js';

/** AlgorithmIdentifier for SHA-1 (1.3.14.3.2.26, NULL parameters): what OCSP responders all accept. */
const SHA1_ALGORITHM = Buffer.from('300906052b0e03021a0500', 'hex');

/** The OCSP responder URL from the certificate's Authority Information Access, when it has one. */
export function ocspUrlOf(certDer: Buffer): string | undefined {
  const info = new X509Certificate(certDer).infoAccess;
  const match = info ? /OCSP - URI:(https?:\/\/\S+)/.exec(info) : null;
  return match?.[1];
}

/**
 * RFC 6960 §4.1.1 OCSPRequest for one certificate, unsigned, without a nonce (so responders may
 * answer from a cache, as stapling expects): CertID = SHA-1 of the issuer's name and key, serial.
 */
export function buildOcspRequest(certDer: Buffer, issuerDer: Buffer): Buffer {
  const cert = tbsFields(certDer);
  const issuer = tbsFields(issuerDer);
  const sha1 = (b: Buffer): Buffer => createHash('sha1').update(b).digest();
  const spki = issuer.fields[issuer.spki]!;
  const [, keyBits] = children(issuer.buf, spki);
  if (!keyBits || keyBits.tag !== 0x03) throw new Error('issuer certificate: no subjectPublicKey');
  const key = issuer.buf.subarray(keyBits.valueStart + 1, keyBits.end); // skip the unused-bits byte
  const slice = (f: { buf: Buffer; fields: Tlv[] }, i: number): Buffer => f.buf.subarray(f.fields[i]!.start, f.fields[i]!.end);
  const certId = encodeTlv(
    SEQUENCE,
    Buffer.concat([SHA1_ALGORITHM, encodeTlv(OCTET_STRING, sha1(slice(issuer, issuer.subject))), encodeTlv(OCTET_STRING, sha1(key)), slice(cert, cert.serial)]),
  );
  const request = encodeTlv(SEQUENCE, certId);
  const requestList = encodeTlv(SEQUENCE, request);
  const tbsRequest = encodeTlv(SEQUENCE, requestList);
  return encodeTlv(SEQUENCE, tbsRequest);
}

/** RFC 6960 §4.2.1: responseStatus 0 = successful (anything else is not worth stapling). */
export function isSuccessfulOcspResponse(der: Buffer): boolean {
  try {
    const outer = readTlv(der, 0);
    const [status] = children(der, outer);
    return outer.tag === SEQUENCE && status?.tag === 0x0a && status.end - status.valueStart === 1 && der[status.valueStart] === 0 && outer.end === der.length;
  } catch {
    return false;
  }
}

/** Indexes of serial, subject and subjectPublicKeyInfo among the TBSCertificate's fields (RFC 5280 §4.1). */
function tbsFields(der: Buffer): { buf: Buffer; fields: Tlv[]; serial: number; subject: number; spki: number } {
  const certificate = readTlv(der, 0);
  const tbs = children(der, certificate)[0];
  if (!tbs) throw new Error('certificate: no TBSCertificate');
  const fields = children(der, tbs);
  const v = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
  return { buf: der, fields, serial: v, subject: v + 4, spki: v + 5 };
}
