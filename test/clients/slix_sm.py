#!/usr/bin/python3
"""A real slixmpp client with XEP-0198 for Glider's end-to-end suite.

Logs in (STARTTLS) with stream management (slixmpp's xep_0198, resumption on), sends initial
presence, prints {"ready": true} once enabled, then collects chat messages. When its connection
is lost it connects again to the same address (a load balancer in front of the edges) and resumes.
Exits once --expect-count messages arrived, printing a JSON line: the bodies in order, whether and
how often the session was resumed, and whether stream management had to start afresh.
"""
import asyncio
import json

from slix_base import ResultClient, main, parser


class SmClient(ResultClient):
    def __init__(self, args):
        super().__init__(args, bodies=[], resumed=0, enabled=0)
        self.done = asyncio.Event()
        self.closed = None
        self.register_plugin("xep_0198")
        self.add_event_handler("sm_enabled", self.on_enabled)
        self.add_event_handler("session_resumed", self.on_resumed)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("disconnected", self.on_disconnected)

    async def start(self, _event):
        self.send_presence()

    def on_enabled(self, _event):
        self.result["enabled"] += 1
        if self.result["enabled"] == 1:
            print(json.dumps({"ready": True}), flush=True)

    def on_resumed(self, _event):
        self.result["resumed"] += 1

    def on_message(self, msg):
        if msg["type"] == "chat" and not self.done.is_set():
            self.result["bodies"].append(msg["body"])
            if len(self.result["bodies"]) >= self.args.expect_count:
                self.result["ok"] = True
                self.done.set()
                self.closed = self.disconnect()

    def on_disconnected(self, _event):
        # a lost connection, not our own close: back through the balancer (a client's reconnect delay)
        if not self.done.is_set():
            self.loop.call_later(0.3, lambda: self.connect((self.args.host, self.args.port), force_starttls=True))

    async def finished(self):
        """Not the first disconnection (that one is resumed): all messages in, and our stream closed."""
        await self.done.wait()
        await self.closed


if __name__ == "__main__":
    p = parser(timeout=60)
    p.add_argument("--expect-count", type=int, required=True)
    main(SmClient, p)
