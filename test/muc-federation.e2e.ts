import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prosodyInstalled } from './harness/prosody.js';
import { MucFederationScenario } from './scenarios/muc-federation.scenario.js';

// Glider standalone (a.test, conference.a.test) and Prosody 0.12 with mod_muc (p.test, conference.p.test).
describe('XEP-0045 across federation with Prosody: standalone', { skip: !prosodyInstalled() && 'prosody not installed (.ci/run installs it)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-muc-fed-'));
  const s = new MucFederationScenario(dir);
  before(() => s.start(false));
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a Prosody user in a Glider room: presence, history, groupchat, stanza-id and occupant-id, private messages, nick change, kick, leave', () =>
    s.prosodyUserInGliderRoom());
  it('a room of a domain the s2s policy does not allow yet: the join gets remote-server-not-found at once', () => s.joinRefusedByPolicy());
  it('the policy allows conference.p.test, without a restart', () => s.allowProsodyRooms());
  it('Glider users in a Prosody room: create, talk both ways, leave; a client gone without a word leaves the room (directed presence)', () =>
    s.gliderUsersInProsodyRoom());
  it("the Prosody user's server stops: it tells the room he left; it comes back and he rejoins", () => s.remoteServerStopped());
  it("the Prosody user's server dies: the room's next message to him bounces and he is removed with 333", () => s.remoteServerGone());
});
