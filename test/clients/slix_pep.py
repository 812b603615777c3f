#!/usr/bin/python3
"""XEP-0163 PEP with slixmpp's xep_0115, xep_0163 and xep_0118 plugins, for Glider's e2e suite.

Logs in (STARTTLS) with entity caps that include http://jabber.org/protocol/tune+notify (the
xep_0118 plugin registers it; xep_0115 answers the server's disco#info about the hash), waits for
--peer's tune titled --expect (the server sends the last item when this session becomes
available), then publishes its own tune titled --publish; prints a JSON line {"ok", "got",
"published"} and exits 0 on success, 1 on failure or timeout.
"""
import asyncio

from slix_base import ResultClient, main, parser


class Pep(ResultClient):
    def __init__(self, args):
        super().__init__(args)
        for plugin in ("xep_0030", "xep_0115", "xep_0163", "xep_0118"):
            self.register_plugin(plugin)
        self.heard = asyncio.Event()
        self.add_event_handler("user_tune_publish", self.on_tune)

    def on_tune(self, msg):
        title = msg["pubsub_event"]["items"]["item"]["tune"]["title"]
        if msg["from"].bare == self.args.peer and title == self.args.expect:
            self.result["got"] = title
            self.heard.set()

    async def run(self):
        await self.get_roster()
        self.send_presence()
        await asyncio.wait_for(self.heard.wait(), 20)
        await self.plugin["xep_0118"].publish_tune(title=self.args.publish, artist="Glider", timeout=10)
        self.result["published"] = self.args.publish


if __name__ == "__main__":
    p = parser(timeout=35)
    p.add_argument("--peer", required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--publish", required=True)
    main(Pep, p)
