#!/usr/bin/python3
"""XEP-0191 with slixmpp's xep_0191 plugin, for Glider's end-to-end suite.

Logs in (STARTTLS), asks for the blocklist (so it gets pushes), blocks --block, waits for the
server's push of that block, lists again, unblocks, lists again; prints a JSON line
{"ok", "before", "blocked", "after"} and exits 0 on success, 1 on failure or timeout.
"""
import asyncio

from slix_base import ResultClient, main, parser


class Block(ResultClient):
    def __init__(self, args):
        super().__init__(args)
        self.register_plugin("xep_0191")
        self.pushed = asyncio.Event()
        self.add_event_handler("blocked", self.on_blocked)

    def on_blocked(self, iq):
        if self.args.block in [str(j) for j in iq["block"]["items"]]:
            self.pushed.set()

    async def listed(self):
        iq = await self.plugin["xep_0191"].get_blocked(timeout=10)
        return sorted(str(j) for j in iq["blocklist"]["items"])

    async def run(self):
        self.result["before"] = await self.listed()
        await self.plugin["xep_0191"].block(self.args.block, timeout=10)
        await asyncio.wait_for(self.pushed.wait(), 10)
        self.result["blocked"] = await self.listed()
        await self.plugin["xep_0191"].unblock(self.args.block, timeout=10)
        self.result["after"] = await self.listed()


if __name__ == "__main__":
    p = parser(timeout=30)
    p.add_argument("--block", required=True)
    main(Block, p)
