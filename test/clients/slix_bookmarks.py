#!/usr/bin/python3
"""XEP-0048 bookmarks with slixmpp's xep_0048, for Glider's e2e suite: in private XML storage
(XEP-0049, --method private) or in the PEP node storage:bookmarks (XEP-0223, --method pep).

--mode set   stores one conference (--room, --name, autojoin) and one URL bookmark, replacing the list.
--mode get   reads the list back.
Prints one JSON line {"ok", "rooms": [[jid, name, autojoin], ...], "urls": [...]} and exits 0 on
success, 1 on failure or timeout.
"""
from slixmpp.plugins.xep_0048.stanza import Bookmarks

from slix_base import ResultClient, main, parser


class Marks(ResultClient):
    def __init__(self, args):
        super().__init__(args)
        method = "xep_0223" if args.method == "pep" else "xep_0049"
        self.register_plugin("xep_0048", pconfig={"storage_method": method})

    async def run(self):
        if self.args.mode == "set":
            marks = Bookmarks()
            marks.add_conference(self.args.room, "slix", name=self.args.name, autojoin=True)
            marks.add_url("https://example.com/", name="Example")
            await self.plugin["xep_0048"].set_bookmarks(marks, timeout=10)
        iq = await self.plugin["xep_0048"].get_bookmarks(timeout=10)
        got = iq["pubsub"]["items"]["item"]["bookmarks"] if self.args.method == "pep" else iq["private"]["bookmarks"]
        self.result["rooms"] = sorted([str(c["jid"]), c["name"], bool(c["autojoin"])] for c in got["conferences"])
        self.result["urls"] = sorted(u["url"] for u in got["urls"])


if __name__ == "__main__":
    p = parser(timeout=30)
    p.add_argument("--mode", choices=["set", "get"], required=True)
    p.add_argument("--method", choices=["private", "pep"], default="private")
    p.add_argument("--room", default="")
    p.add_argument("--name", default="")
    main(Marks, p)
