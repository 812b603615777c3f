import { randomBytes } from 'node:crypto';
import {
  candidateFromJingle,
  candidateToJingle,
  JINGLE_NS,
  jingleToSdp,
  parseCandidate,
  parseSdp,
  sdpToJingle,
  writeCandidate,
  writeSdp,
  type JingleRole,
} from '#libs/jingle';
import { parseElement, reparseLimits, xml as x, type Element } from '#libs/xml';
import { xml, type TestClient, type XmppElement } from '../xmpp-client.js';
import type { BrowserPeer, TrickledCandidate } from './browser-peer.js';

export const FILE_TRANSFER_NS = 'urn:xmpp:jingle:apps:file-transfer:5'; // XEP-0234
export const HASHES_NS = 'urn:xmpp:hashes:2'; // XEP-0300

const LIMITS = reparseLimits({ maxStanzaBytes: 1 << 20, maxDepth: 32, maxAttributes: 64, maxAttributeBytes: 8192, maxNameBytes: 256 });

/** xmpp.js (ltx) element → the project's element model, and back. */
export const fromLtx = (el: XmppElement): Element => parseElement(el.toString(), LIMITS);
export function toLtx(el: Element): XmppElement {
  return xml(el.name, el.attrs, ...el.children.map((c) => (typeof c === 'string' ? c : toLtx(c))));
}

export interface OfferedFile {
  name: string;
  size: number;
  sha256: string; // hex
}

/**
 * One side of a Jingle session (XEP-0166) between an xmpp.js client and a browser peer: the SDP
 * it produces leaves as session-initiate / session-accept, its trickled candidates as
 * transport-info (XEP-0176), each only after the description they belong to was acknowledged;
 * what arrives goes into the page the same way round. Every IQ is acknowledged (XEP-0166 §6).
 */
export class JingleCall {
  private peerJid = '';
  private sid = '';
  private localSdp = '';
  private canTrickle = false;
  private remoteSet = false;
  private readonly outgoing: TrickledCandidate[] = [];
  private readonly incoming: TrickledCandidate[] = [];
  /** Jingle actions received, in order (the test checks the exchange happened through Glider). */
  readonly actions: string[] = [];
  offered?: OfferedFile;
  private accepted?: () => void;
  private terminated?: (reason: string) => void;
  readonly done: Promise<string>;

  constructor(
    readonly client: TestClient,
    readonly peer: BrowserPeer,
    readonly role: JingleRole,
  ) {
    this.done = new Promise((resolve) => (this.terminated = resolve));
    client.xmpp.on('stanza', (s: XmppElement) => {
      const j = s.is('iq') && s.attrs.type === 'set' ? s.getChild('jingle', JINGLE_NS.jingle) : undefined;
      if (j) void this.onJingle(s, fromLtx(j)).catch((err: unknown) => this.fail(s, err));
    });
  }

  /** The page's candidate callback. */
  onLocalCandidate(c: TrickledCandidate): void {
    if (this.canTrickle) void this.sendCandidate(c);
    else this.outgoing.push(c);
  }

  /** Initiator: offer (the file on a data channel, plus the fake microphone when `audio`). */
  async initiate(to: string, file: OfferedFile, audio: boolean): Promise<void> {
    this.peerJid = to;
    this.sid = randomBytes(8).toString('hex');
    this.offered = file;
    this.localSdp = await this.peer.offer(audio);
    const contents = sdpToJingle(parseSdp(this.localSdp), { author: 'initiator', applicationDescription: () => fileDescription(file) });
    const accepted = new Promise<void>((resolve) => (this.accepted = resolve));
    await this.client.iq(this.jingle('session-initiate', contents, { initiator: this.client.jid }));
    await this.startTrickle();
    await accepted;
  }

  async terminate(reason = 'success'): Promise<void> {
    await this.client.iq(toLtx(xmlJingle(this.peerJid, this.sid, 'session-terminate', [reasonEl(reason)])));
  }

  private async onJingle(iq: XmppElement, j: Element): Promise<void> {
    const action = j.attr('action') ?? '';
    this.actions.push(action);
    if (action === 'session-initiate') {
      this.peerJid = iq.attrs.from!;
      this.sid = j.attr('sid') ?? '';
      await this.ack(iq);
      const file = j
        .getChildren('content')
        .map((c) => c.getChild('description', FILE_TRANSFER_NS))
        .find(Boolean);
      if (file) this.offered = readFile(file);
      const offer = writeSdp(jingleToSdp(j, 'initiator'));
      this.localSdp = await this.peer.answer(offer);
      await this.remoteDescriptionSet();
      const contents = sdpToJingle(parseSdp(this.localSdp), { author: 'responder', applicationDescription: () => fileDescription(this.offered!) });
      await this.client.iq(this.jingle('session-accept', contents, { initiator: this.peerJid, responder: this.client.jid }));
      await this.startTrickle();
    } else if (action === 'session-accept') {
      await this.ack(iq);
      await this.peer.accept(writeSdp(jingleToSdp(j, 'responder')));
      await this.remoteDescriptionSet();
      this.accepted?.();
    } else if (action === 'transport-info') {
      await this.ack(iq);
      for (const content of j.getChildren('content')) {
        for (const cand of content.getChild('transport', JINGLE_NS.iceUdp)?.getChildren('candidate') ?? []) {
          const c = { candidate: writeCandidateLine(cand), sdpMid: content.attr('name') ?? '' };
          if (this.remoteSet) await this.peer.addCandidate(c);
          else this.incoming.push(c);
        }
      }
    } else if (action === 'session-terminate') {
      await this.ack(iq);
      this.terminated?.(j.getChild('reason')?.elements()[0]?.name ?? 'none');
    } else {
      await this.client.send(
        xml(
          'iq',
          { to: iq.attrs.from, id: iq.attrs.id, type: 'error' },
          xml('error', { type: 'cancel' }, xml('feature-not-implemented', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
        ),
      );
    }
  }

  private async remoteDescriptionSet(): Promise<void> {
    this.remoteSet = true;
    for (const c of this.incoming.splice(0)) await this.peer.addCandidate(c);
  }

  private async startTrickle(): Promise<void> {
    this.canTrickle = true;
    for (const c of this.outgoing.splice(0)) await this.sendCandidate(c);
  }

  private async sendCandidate(c: TrickledCandidate): Promise<void> {
    const m = parseSdp(this.localSdp).media.find((x) => x.mid === c.sdpMid);
    if (!m) return;
    const cand = parseCandidate(c.candidate);
    if (cand.protocol !== 'udp') return;
    const transport = x('transport', { xmlns: JINGLE_NS.iceUdp, ufrag: m.ice.ufrag, pwd: m.ice.pwd }, candidateToJingle(cand, randomBytes(6).toString('hex')));
    const content = x('content', { creator: 'initiator', name: c.sdpMid }, transport);
    await this.client.iq(toLtx(xmlJingle(this.peerJid, this.sid, 'transport-info', [content])));
  }

  private jingle(action: string, contents: Element[], attrs: Record<string, string>): XmppElement {
    return toLtx(xmlJingle(this.peerJid, this.sid, action, contents, attrs));
  }

  private ack(iq: XmppElement): Promise<void> {
    return this.client.send(xml('iq', { to: iq.attrs.from, id: iq.attrs.id, type: 'result' }));
  }

  private fail(iq: XmppElement, err: unknown): void {
    void this.client.send(
      xml(
        'iq',
        { to: iq.attrs.from, id: iq.attrs.id, type: 'error' },
        xml(
          'error',
          { type: 'modify' },
          xml('bad-request', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
          xml('text', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }, String(err)),
        ),
      ),
    );
    this.terminated?.(`failed: ${String(err)}`);
  }
}

function xmlJingle(to: string, sid: string, action: string, children: Element[], attrs: Record<string, string> = {}): Element {
  return x('iq', { to, type: 'set' }, x('jingle', { xmlns: JINGLE_NS.jingle, action, sid, ...attrs }, ...children));
}

function reasonEl(condition: string): Element {
  return x('reason', {}, x(condition));
}

function writeCandidateLine(el: Element): string {
  return writeCandidate(candidateFromJingle(el));
}

/** XEP-0234 §4 file description with its XEP-0300 SHA-256 (base64). */
function fileDescription(f: OfferedFile): Element {
  return x(
    'description',
    { xmlns: FILE_TRANSFER_NS },
    x(
      'file',
      {},
      x('name', {}, f.name),
      x('size', {}, String(f.size)),
      x('hash', { xmlns: HASHES_NS, algo: 'sha-256' }, Buffer.from(f.sha256, 'hex').toString('base64')),
    ),
  );
}

function readFile(d: Element): OfferedFile {
  const file = d.getChild('file');
  const hash = file?.getChildren('hash').find((h) => h.attr('algo') === 'sha-256');
  if (!file || !hash) throw new Error('XEP-0234 description without a file and its sha-256');
  return {
    name: file.getChildText('name') ?? '',
    size: Number(file.getChildText('size') ?? 'NaN'),
    sha256: Buffer.from(hash.text(), 'base64').toString('hex'),
  };
}
