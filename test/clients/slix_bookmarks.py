#!/usr/bin/python3
"""XEP-0048 bookmarks with slixmpp's xep_0048, for Glider's e2e suite: in private XML storage
(XEP-0049, --method private) or in the PEP node storage:bookmarks (XEP-0223, --method pep).

--mode set   stores one conference (--room, --name, autojoin) and one URL bookmark, replacing the list.
--mode get   reads the list back.
Prints one JSON line {"ok", "rooms": [[jid, name, autojoin], ...], "urls": [...]} and exits 0 on
success, 1 on failure or timeout.
"""
import argparse
import asyncio
import json
import sys

import slixmpp
from slixmpp.plugins.xep_0048.stanza import Bookmarks


class Marks(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.result = {"ok": False}
        self.ca_certs = args.ca
        method = "xep_0223" if args.method == "pep" else "xep_0049"
        self.register_plugin("xep_0048", pconfig={"storage_method": method})
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("no_auth", lambda _: self.fail("no mechanism authenticated"))

    def fail(self, why):
        self.result["error"] = why
        self.disconnect()

    async def start(self, _event):
        try:
            if self.args.mode == "set":
                marks = Bookmarks()
                marks.add_conference(self.args.room, "slix", name=self.args.name, autojoin=True)
                marks.add_url("https://example.com/", name="Example")
                await self.plugin["xep_0048"].set_bookmarks(marks, timeout=10)
            iq = await self.plugin["xep_0048"].get_bookmarks(timeout=10)
            got = iq["pubsub"]["items"]["item"]["bookmarks"] if self.args.method == "pep" else iq["private"]["bookmarks"]
            self.result["rooms"] = sorted([str(c["jid"]), c["name"], bool(c["autojoin"])] for c in got["conferences"])
            self.result["urls"] = sorted(u["url"] for u in got["urls"])
            self.result["ok"] = True
        except Exception as err:  # an IqError or IqTimeout: reported, exit 1
            self.result["error"] = repr(err)
        self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--mode", choices=["set", "get"], required=True)
    p.add_argument("--method", choices=["private", "pep"], default="private")
    p.add_argument("--room", default="")
    p.add_argument("--name", default="")
    p.add_argument("--timeout", type=float, default=30)
    args = p.parse_args()
    xmpp = Marks(args)
    xmpp.connect((args.host, args.port), force_starttls=True)
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(xmpp.disconnected, args.timeout))
    except asyncio.TimeoutError:
        xmpp.result["error"] = xmpp.result.get("error") or "timeout"
    print(json.dumps(xmpp.result))
    sys.exit(0 if xmpp.result["ok"] else 1)


if __name__ == "__main__":
    main()
