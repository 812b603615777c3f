#!/usr/bin/python3
"""slixmpp's xep_0045 against Glider's muc service, for the end-to-end suite.

Logs in, joins --room as --nick (join_muc_wait), sends --send-body to the room, waits for
--expect-body from another occupant, changes its nick to --new-nick (waiting for its own presence
under the new nick with status 110), kicks --kick (set_role none) when given, leaves, and prints a
JSON line with what happened. Exits 0 on success, 1 on failure or timeout.
"""
import asyncio

import slixmpp

from slix_base import ResultClient, main, parser


class MucClient(ResultClient):
    def __init__(self, args):
        super().__init__(args, steps=[])
        self.register_plugin("xep_0045")
        self.expected = asyncio.get_event_loop().create_future()
        self.renamed = asyncio.get_event_loop().create_future()
        self.add_event_handler("groupchat_message", self.on_groupchat)
        self.add_event_handler("muc::%s::presence" % args.room, self.on_presence)

    def on_groupchat(self, msg):
        if msg["body"] == self.args.expect_body and msg["mucnick"] != self.args.nick and not self.expected.done():
            self.expected.set_result(str(msg["from"]))

    def on_presence(self, pres):
        codes = {s for s in pres["muc"]["status_codes"]}
        if pres["from"].resource == self.args.new_nick and 110 in codes and pres["type"] != "unavailable" and not self.renamed.done():
            self.renamed.set_result(True)

    async def run(self):
        muc = self.plugin["xep_0045"]
        room = slixmpp.JID(self.args.room)
        self.send_presence()
        _own, _subject, presences, _history = await muc.join_muc_wait(room, self.args.nick, maxstanzas=0, timeout=15)
        self.result["steps"].append("joined with %d occupants" % len(presences))
        self.send_message(mto=room, mbody=self.args.send_body, mtype="groupchat")
        self.result["steps"].append("sent")
        self.result["expected_from"] = await asyncio.wait_for(self.expected, 15)
        self.send_presence(pto="%s/%s" % (room, self.args.new_nick))
        await asyncio.wait_for(self.renamed, 15)
        self.result["steps"].append("renamed")
        if self.args.kick:
            await muc.set_role(room, self.args.kick, "none", reason="e2e")
            self.result["steps"].append("kicked %s" % self.args.kick)
        muc.leave_muc(room, self.args.new_nick)
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    p = parser(timeout=40)
    p.add_argument("--room", required=True)
    p.add_argument("--nick", required=True)
    p.add_argument("--new-nick", required=True)
    p.add_argument("--send-body", required=True)
    p.add_argument("--expect-body", required=True)
    p.add_argument("--kick")
    main(MucClient, p)
