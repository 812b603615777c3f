#!/usr/bin/python3
"""A real slixmpp client (Debian, xep_0313) querying its own XEP-0313 archive for Glider's e2e suite.

Logs in (STARTTLS), walks the archive newest first with RSM pages of --page (slixmpp's `iterate`
with reverse=True pages with <before/>), optionally filtered by --with, prints one JSON line
{"ok": true, "bodies": [...], "advertised": bool} with the bodies in the order received, and exits 0; 1 on
failure or timeout.
"""
import traceback

import slixmpp

from slix_base import ResultClient, main, parser


class Mam(ResultClient):
    def __init__(self, args):
        super().__init__(args, bodies=[])
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0313")

    async def run(self):
        info = await self.plugin["xep_0030"].get_info(jid=self.boundjid.bare, timeout=10)
        self.result["advertised"] = "urn:xmpp:mam:2" in info["disco_info"]["features"]
        kwargs = {"reverse": True, "rsm": {"max": self.args.page}}
        if self.args.with_jid:
            kwargs["with_jid"] = slixmpp.JID(self.args.with_jid)
        # iterate() yields the result messages, newest first with reverse=True, asking page after page
        async for msg in self.plugin["xep_0313"].iterate(**kwargs):
            body = msg.xml.find(".//{urn:xmpp:forward:0}forwarded/{jabber:client}message/{jabber:client}body")
            self.result["bodies"].append(None if body is None else body.text)
            if len(self.result["bodies"]) > 1000:
                break

    def on_error(self, _err):
        # called inside run()'s except block, so format_exc() has its traceback; the e2e prints it
        self.result["trace"] = traceback.format_exc().splitlines()[-4:]


if __name__ == "__main__":
    p = parser(timeout=30)
    p.add_argument("--with", dest="with_jid")
    p.add_argument("--page", type=int, default=3)
    main(Mam, p)
