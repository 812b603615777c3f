import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { waitFor } from '#libs/testing';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { BrowserPeers, type IceServer, type PathReport } from '../harness/webrtc/browser-peer.js';
import { JingleCall } from '../harness/webrtc/jingle-call.js';
import { connect, trustCertificate, xml, type TestClient } from '../harness/xmpp-client.js';

export interface CallOptions {
  tag: string;
  /** How a client learns its ICE servers (XEP-0215 in the real test). */
  iceServers(client: TestClient): Promise<IceServer[]>;
  fileBytes: number;
  audio: boolean;
}

export interface CallResult {
  caller: PathReport;
  callee: PathReport;
  /** Jingle actions each side received through Glider. */
  callerActions: string[];
  calleeActions: string[];
}

/**
 * A call as two users place it: both log in to Glider with xmpp.js, ask it for their ICE servers,
 * and signal through it with Jingle (session-initiate, transport-info, session-accept,
 * session-terminate) while two Chromium pages are the media endpoints, relay-only. The caller
 * offers a file (XEP-0234 with its SHA-256) on a data channel and, with `audio`, the fake
 * microphone; the callee checks the bytes it got against the hash it was offered over XMPP.
 */
export async function webrtcCallScenario(d: Deployment, opts: CallOptions): Promise<CallResult> {
  trustCertificate(d.certPem());
  const e = d.edges[0]!;
  const names = [`caller-${opts.tag}`, `callee-${opts.tag}`] as const;
  for (const n of names) await addUser(`${n}@${d.domain}`, `${n}-password`, d.adminPort);
  const clients: TestClient[] = [];
  const peers = await BrowserPeers.launch();
  try {
    for (const n of names) clients.push(await connect(`xmpp://${e.host}:${e.c2sPort}`, n, `${n}-password`, 'browser'));
    const [a, b] = clients as [TestClient, TestClient];
    for (const c of clients) await c.send(xml('presence'));
    const callers: JingleCall[] = [];
    const pa = await peers.peer('caller', await opts.iceServers(a), (c) => callers[0]!.onLocalCandidate(c));
    const pb = await peers.peer('callee', await opts.iceServers(b), (c) => callers[1]!.onLocalCandidate(c));
    const caller = new JingleCall(a, pa, 'initiator');
    const callee = new JingleCall(b, pb, 'responder');
    callers.push(caller, callee);

    const file = randomBytes(opts.fileBytes);
    const offered = { name: 'report.bin', size: file.length, sha256: createHash('sha256').update(file).digest('hex') };
    await caller.initiate(b.jid, offered, opts.audio);
    await pa.send(file);
    await waitFor(async () => (await pb.received()).length >= file.length, { timeoutMs: 60_000, what: `${file.length} bytes at the callee` });
    const got = await pb.received();
    assert.deepEqual(callee.offered, offered, 'the callee learnt the file from the session-initiate');
    assert.equal(got.length, callee.offered.size);
    assert.equal(got.sha256, callee.offered.sha256, 'the bytes that arrived are the bytes offered');
    if (opts.audio) await waitFor(async () => ((await pb.path())?.audioPacketsReceived ?? 0) >= 50, { timeoutMs: 30_000, what: 'audio packets at the callee' });
    const [callerPath, calleePath] = [await pa.path(), await pb.path()];
    assert.ok(callerPath && calleePath, 'both peers selected a candidate pair');
    const ended = callee.done;
    await caller.terminate();
    assert.equal(await ended, 'success');
    return { caller: callerPath, callee: calleePath, callerActions: caller.actions, calleeActions: callee.actions };
  } finally {
    for (const c of clients) await c.stop();
    await peers.close();
  }
}
