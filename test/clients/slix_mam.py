#!/usr/bin/python3
"""A real slixmpp client (Debian, xep_0313) querying its own XEP-0313 archive for Glider's e2e suite.

Logs in (STARTTLS), walks the archive newest first with RSM pages of --page (slixmpp's `iterate`
with reverse=True pages with <before/>), optionally filtered by --with, prints one JSON line
{"ok": true, "bodies": [...], "advertised": bool} with the bodies in the order received, and exits 0; 1 on
failure or timeout.
"""
import argparse
import asyncio
import json
import sys
import traceback

import slixmpp


class Mam(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.result = {"ok": False, "bodies": []}
        self.ca_certs = args.ca
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0313")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("no_auth", lambda _: self.fail("no mechanism authenticated"))

    def fail(self, why):
        self.result["error"] = why
        self.disconnect()

    async def start(self, _event):
        try:
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
            self.result["ok"] = True
        except Exception as e:  # reported in the JSON line; the e2e prints it
            self.result["error"] = repr(e)
            self.result["trace"] = traceback.format_exc().splitlines()[-4:]
        self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--with", dest="with_jid")
    p.add_argument("--page", type=int, default=3)
    p.add_argument("--timeout", type=float, default=30)
    args = p.parse_args()
    xmpp = Mam(args)
    xmpp.connect((args.host, args.port), force_starttls=True)
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(xmpp.disconnected, args.timeout))
    except asyncio.TimeoutError:
        xmpp.result["error"] = "timeout"
    print(json.dumps(xmpp.result))
    sys.exit(0 if xmpp.result["ok"] else 1)


if __name__ == "__main__":
    main()
