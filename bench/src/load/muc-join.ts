// Joins a room (XEP-0045 §7.2) and, when this occupant created it, accepts the default
// configuration (instant room, §10.1.2) so servers that lock new rooms open it.
import type { XmppConnection } from '../client/xmpp-connection.js';
import { attr } from '../client/splitter.js';

const NS_MUC = 'http://jabber.org/protocol/muc';

export function joinRoom(conn: XmppConnection, room: string, nick: string, timeoutMs: number): Promise<void> {
  const self = `${room}/${nick}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`joining ${room} timed out`)), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      conn.onElement = () => {};
      if (err) reject(err);
      else resolve();
    };
    conn.onElement = (xml) => {
      if (xml.startsWith('<presence') && attr(xml, 'from') === self) {
        if (attr(xml, 'type') === 'error') return done(new Error(`join refused: ${xml.slice(0, 200)}`));
        if (!xml.includes("code='201'") && !xml.includes('code="201"')) return done();
        conn.send(`<iq type='set' id='instant' to='${room}'><query xmlns='${NS_MUC}#owner'>` + `<x xmlns='jabber:x:data' type='submit'/></query></iq>`);
      } else if (xml.startsWith('<iq') && attr(xml, 'id') === 'instant') {
        if (attr(xml, 'type') === 'result') done();
        else done(new Error(`room configuration refused: ${xml.slice(0, 200)}`));
      }
    };
    conn.send(`<presence to='${self}'><x xmlns='${NS_MUC}'><history maxstanzas='0'/></x></presence>`);
  });
}
