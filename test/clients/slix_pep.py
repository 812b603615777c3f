#!/usr/bin/python3
"""XEP-0163 PEP with slixmpp's xep_0115, xep_0163 and xep_0118 plugins, for Glider's e2e suite.

Logs in (STARTTLS) with entity caps that include http://jabber.org/protocol/tune+notify (the
xep_0118 plugin registers it; xep_0115 answers the server's disco#info about the hash), waits for
--peer's tune titled --expect (the server sends the last item when this session becomes
available), then publishes its own tune titled --publish; prints a JSON line {"ok", "got",
"published"} and exits 0 on success, 1 on failure or timeout.
"""
import argparse
import asyncio
import json
import sys

import slixmpp


class Pep(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.result = {"ok": False}
        self.ca_certs = args.ca
        for plugin in ("xep_0030", "xep_0115", "xep_0163", "xep_0118"):
            self.register_plugin(plugin)
        self.heard = asyncio.Event()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("user_tune_publish", self.on_tune)
        self.add_event_handler("no_auth", lambda _: self.fail("no mechanism authenticated"))

    def fail(self, why):
        self.result["error"] = why
        self.disconnect()

    def on_tune(self, msg):
        title = msg["pubsub_event"]["items"]["item"]["tune"]["title"]
        if msg["from"].bare == self.args.peer and title == self.args.expect:
            self.result["got"] = title
            self.heard.set()

    async def start(self, _event):
        try:
            await self.get_roster()
            self.send_presence()
            await asyncio.wait_for(self.heard.wait(), 20)
            await self.plugin["xep_0118"].publish_tune(title=self.args.publish, artist="Glider", timeout=10)
            self.result["published"] = self.args.publish
            self.result["ok"] = True
        except Exception as err:  # an IqError, IqTimeout or no notification: reported, exit 1
            self.result["error"] = repr(err)
        self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--publish", required=True)
    p.add_argument("--timeout", type=float, default=35)
    args = p.parse_args()
    xmpp = Pep(args)
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
