#!/usr/bin/python3
"""slixmpp's xep_0045 request_voice (XEP-0045 §7.13) against Glider's muc service, for the e2e suite.

Logs in, joins --room as --nick (a visitor in a moderated room), sends the muc#request form with
request_voice, waits until its own presence shows the role participant (a moderator approved,
§8.6), then sends --send-body to the room and leaves. Prints a JSON line; exits 0 on success.
"""
import asyncio

import slixmpp

from slix_base import ResultClient, main, parser


class VoiceClient(ResultClient):
    def __init__(self, args):
        super().__init__(args, steps=[])
        self.register_plugin("xep_0045")
        self.voiced = asyncio.get_event_loop().create_future()
        self.add_event_handler("muc::%s::presence" % args.room, self.on_presence)

    def on_presence(self, pres):
        codes = {s for s in pres["muc"]["status_codes"]}
        if pres["from"].resource == self.args.nick and 110 in codes and pres["muc"]["role"] == "participant" and not self.voiced.done():
            self.voiced.set_result(True)

    async def run(self):
        muc = self.plugin["xep_0045"]
        room = slixmpp.JID(self.args.room)
        self.send_presence()
        own, _subject, _presences, _history = await muc.join_muc_wait(room, self.args.nick, maxstanzas=0, timeout=15)
        self.result["steps"].append("joined as %s" % own["muc"]["role"])
        muc.request_voice(room, "participant")
        self.result["steps"].append("asked")
        await asyncio.wait_for(self.voiced, 15)
        self.result["steps"].append("voiced")
        self.send_message(mto=room, mbody=self.args.send_body, mtype="groupchat")
        muc.leave_muc(room, self.args.nick)
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    p = parser(timeout=40)
    p.add_argument("--room", required=True)
    p.add_argument("--nick", required=True)
    p.add_argument("--send-body", required=True)
    main(VoiceClient, p)
