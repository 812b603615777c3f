#!/usr/bin/python3
"""A real slixmpp client with XEP-0198 for Glider's end-to-end suite.

Logs in (STARTTLS) with stream management (slixmpp's xep_0198, resumption on), sends initial
presence, prints {"ready": true} once enabled, then collects chat messages. When its connection
is lost it connects again to the same address (a load balancer in front of the edges) and resumes.
Exits once --expect-count messages arrived, printing a JSON line: the bodies in order, whether and
how often the session was resumed, and whether stream management had to start afresh.
"""
import argparse
import asyncio
import json
import sys

import slixmpp


class SmClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.ca_certs = args.ca
        self.bodies = []
        self.resumed = 0
        self.enabled = 0
        self.done = False
        self.register_plugin("xep_0198")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("sm_enabled", self.on_enabled)
        self.add_event_handler("session_resumed", self.on_resumed)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("disconnected", self.on_disconnected)

    async def start(self, _event):
        self.send_presence()

    def on_enabled(self, _event):
        self.enabled += 1
        if self.enabled == 1:
            print(json.dumps({"ready": True}), flush=True)

    def on_resumed(self, _event):
        self.resumed += 1

    def on_message(self, msg):
        if msg["type"] == "chat":
            self.bodies.append(msg["body"])
            if len(self.bodies) >= self.args.expect_count:
                self.finish()

    def on_disconnected(self, _event):
        if not self.done:
            self.loop.call_later(0.3, lambda: self.connect((self.args.host, self.args.port), force_starttls=True))

    def finish(self):
        self.done = True
        print(json.dumps({"ok": True, "bodies": self.bodies, "resumed": self.resumed, "enabled": self.enabled}), flush=True)
        self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--expect-count", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    xmpp = SmClient(args)
    xmpp.connect((args.host, args.port), force_starttls=True)
    loop = asyncio.get_event_loop()
    try:
        deadline = loop.time() + args.timeout
        while not xmpp.done and loop.time() < deadline:
            loop.run_until_complete(asyncio.sleep(0.05))
        if xmpp.done:
            loop.run_until_complete(asyncio.sleep(0.2))
    finally:
        if not xmpp.done:
            print(json.dumps({"ok": False, "bodies": xmpp.bodies, "resumed": xmpp.resumed, "enabled": xmpp.enabled, "error": "timeout"}), flush=True)
    sys.exit(0 if xmpp.done else 1)


if __name__ == "__main__":
    main()
