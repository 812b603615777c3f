import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (apt `chromium`); playwright-core only drives it, nothing is downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What `getStats()` says about the pair ICE selected, and the audio that arrived. */
export interface PathReport {
  localType: string;
  localAddress: string;
  localPort: number;
  relayProtocol?: string;
  url?: string;
  remoteType: string;
  remoteAddress: string;
  bytesSent: number;
  bytesReceived: number;
  audioPacketsReceived: number;
  audioBytesReceived: number;
}

/** A candidate as the page's onicecandidate gave it (RTCIceCandidateInit). */
export interface TrickledCandidate {
  candidate: string;
  sdpMid: string;
}

/**
 * One headless Chromium and a page served over http://127.0.0.1 (a secure context, so
 * getUserMedia exists) per peer. Each page holds one RTCPeerConnection restricted to relay
 * candidates (`iceTransportPolicy: 'relay'`) and to the ICE servers it is given.
 */
export class BrowserPeers {
  private constructor(
    private readonly browser: Browser,
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async launch(): Promise<BrowserPeers> {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>glider call peer</title>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      // fake camera/microphone, no permission prompt: the call's media track
      args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
    return new BrowserPeers(browser, server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  }

  async peer(name: string, iceServers: IceServer[], onCandidate: (c: TrickledCandidate) => void): Promise<BrowserPeer> {
    const page = await (await this.browser.newContext()).newPage();
    await page.goto(this.origin);
    await page.exposeFunction('gliderCandidate', (c: TrickledCandidate) => onCandidate(c));
    await page.evaluate((servers) => {
      const w = globalThis as any;
      const pc = new w.RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay', bundlePolicy: 'max-bundle' });
      pc.onicecandidate = (e: any) => {
        if (e.candidate && e.candidate.candidate) w.gliderCandidate({ candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid });
      };
      w.pc = pc;
      w.received = [] as Uint8Array[];
      pc.ondatachannel = (e: any) => {
        e.channel.binaryType = 'arraybuffer';
        e.channel.onmessage = (m: any) => w.received.push(new Uint8Array(m.data));
      };
    }, iceServers);
    return new BrowserPeer(name, page);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export class BrowserPeer {
  constructor(
    readonly name: string,
    readonly page: Page,
  ) {}

  /** Adds the fake microphone (when `audio`) and a data channel, and returns the offer's SDP. */
  offer(audio: boolean): Promise<string> {
    return this.page.evaluate(async (withAudio) => {
      const w = globalThis as any;
      if (withAudio) {
        const stream = await w.navigator.mediaDevices.getUserMedia({ audio: true });
        for (const t of stream.getTracks() as unknown[]) w.pc.addTrack(t, stream);
      }
      w.channel = w.pc.createDataChannel('file', { ordered: true });
      w.channel.binaryType = 'arraybuffer';
      await w.pc.setLocalDescription(await w.pc.createOffer());
      return w.pc.localDescription!.sdp;
    }, audio);
  }

  /** Takes the remote offer, answers with the fake microphone when the offer has audio. */
  answer(offerSdp: string): Promise<string> {
    return this.page.evaluate(async (sdp) => {
      const w = globalThis as any;
      await w.pc.setRemoteDescription({ type: 'offer', sdp });
      if (sdp.includes('m=audio')) {
        const stream = await w.navigator.mediaDevices.getUserMedia({ audio: true });
        for (const t of stream.getTracks() as unknown[]) w.pc.addTrack(t, stream);
      }
      await w.pc.setLocalDescription(await w.pc.createAnswer());
      return w.pc.localDescription!.sdp;
    }, offerSdp);
  }

  async accept(answerSdp: string): Promise<void> {
    await this.page.evaluate((sdp) => (globalThis as any).pc.setRemoteDescription({ type: 'answer', sdp }), answerSdp);
  }

  async addCandidate(c: TrickledCandidate): Promise<void> {
    await this.page.evaluate((x) => (globalThis as any).pc.addIceCandidate(x), c);
  }

  /** Sends `bytes` on the data channel in chunks, pausing while the channel's buffer is full. */
  async send(bytes: Uint8Array, chunk = 16 * 1024, timeoutMs = 60_000): Promise<void> {
    await this.page.evaluate(
      async ({ data, size, ms }) => {
        const ch = (globalThis as any).channel;
        const deadline = Date.now() + ms;
        if (ch.readyState !== 'open')
          await new Promise((resolve, reject) => ((ch.onopen = resolve), (ch.onerror = reject), setTimeout(reject, ms, new Error('channel never opened'))));
        const buf = new Uint8Array(data);
        ch.bufferedAmountLowThreshold = size * 4;
        for (let off = 0; off < buf.length; off += size) {
          if (Date.now() > deadline) throw new Error('send timed out');
          if (ch.bufferedAmount > size * 16) await new Promise((resolve) => (ch.onbufferedamountlow = resolve));
          ch.send(buf.subarray(off, Math.min(off + size, buf.length)));
        }
      },
      { data: [...bytes], size: chunk, ms: timeoutMs },
    );
  }

  /** Bytes received on data channels so far, and their SHA-256 (hex). */
  received(): Promise<{ length: number; sha256: string }> {
    return this.page.evaluate(async () => {
      const parts: Uint8Array[] = (globalThis as any).received;
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) all.set(p, (off += p.length) - p.length);
      const digest = new Uint8Array(await (globalThis as any).crypto.subtle.digest('SHA-256', all));
      return { length: all.length, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
    });
  }

  state(): Promise<{ ice: string; connection: string }> {
    return this.page.evaluate(() => {
      const pc = (globalThis as any).pc;
      return { ice: pc.iceConnectionState, connection: pc.connectionState };
    });
  }

  path(): Promise<PathReport | undefined> {
    return this.page.evaluate(async () => {
      const stats = await (globalThis as any).pc.getStats();
      const byId = new Map<string, Record<string, unknown>>();
      stats.forEach((s: any) => byId.set(s.id as string, s));
      const transport = [...byId.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = transport && byId.get(transport.selectedCandidatePairId as string);
      if (!pair) return undefined;
      const local = byId.get(pair.localCandidateId as string)!;
      const remote = byId.get(pair.remoteCandidateId as string)!;
      const audio = [...byId.values()].filter((s) => s.type === 'inbound-rtp' && s.kind === 'audio');
      return {
        localType: local.candidateType as string,
        localAddress: (local.address ?? local.ip) as string,
        localPort: local.port as number,
        relayProtocol: local.relayProtocol as string | undefined,
        url: local.url as string | undefined,
        remoteType: remote.candidateType as string,
        remoteAddress: (remote.address ?? remote.ip) as string,
        bytesSent: pair.bytesSent as number,
        bytesReceived: pair.bytesReceived as number,
        audioPacketsReceived: audio.reduce((n, s) => n + ((s.packetsReceived as number) ?? 0), 0),
        audioBytesReceived: audio.reduce((n, s) => n + ((s.bytesReceived as number) ?? 0), 0),
      };
    });
  }
}
