#!/usr/bin/python3
"""XEP-0191 with slixmpp's xep_0191 plugin, for Glider's end-to-end suite.

Logs in (STARTTLS), asks for the blocklist (so it gets pushes), blocks --block, waits for the
server's push of that block, lists again, unblocks, lists again; prints a JSON line
{"ok", "before", "blocked", "after"} and exits 0 on success, 1 on failure or timeout.
"""
import argparse
import asyncio
import json
import sys

import slixmpp


class Block(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.result = {"ok": False}
        self.ca_certs = args.ca
        self.register_plugin("xep_0191")
        self.pushed = asyncio.Event()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("blocked", self.on_blocked)
        self.add_event_handler("no_auth", lambda _: self.fail("no mechanism authenticated"))

    def fail(self, why):
        self.result["error"] = why
        self.disconnect()

    def on_blocked(self, iq):
        if self.args.block in [str(j) for j in iq["block"]["items"]]:
            self.pushed.set()

    async def listed(self):
        iq = await self.plugin["xep_0191"].get_blocked(timeout=10)
        return sorted(str(j) for j in iq["blocklist"]["items"])

    async def start(self, _event):
        try:
            self.result["before"] = await self.listed()
            await self.plugin["xep_0191"].block(self.args.block, timeout=10)
            await asyncio.wait_for(self.pushed.wait(), 10)
            self.result["blocked"] = await self.listed()
            await self.plugin["xep_0191"].unblock(self.args.block, timeout=10)
            self.result["after"] = await self.listed()
            self.result["ok"] = True
        except Exception as err:  # an IqError, IqTimeout or a missing push: reported, exit 1
            self.result["error"] = repr(err)
        self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--block", required=True)
    p.add_argument("--timeout", type=float, default=30)
    args = p.parse_args()
    xmpp = Block(args)
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
