#!/usr/bin/python3
"""A real slixmpp client for Glider's end-to-end suite.

Logs in (STARTTLS, or direct TLS with --direct-tls), sends initial presence, optionally sends one
message, optionally waits for one message (with --carbons: XEP-0280 enabled before sending, and the
awaited message may arrive as a received or sent carbon; with --csi-inactive: XEP-0352 <inactive/>
sent once the server offered CSI, and what arrives after it listed in "events"), prints a JSON line with what happened, and exits 0 on
success, 1 on failure or timeout.
"""
import asyncio

from slix_base import ResultClient, main, parser


class Chat(ResultClient):
    def __init__(self, args):
        super().__init__(args, received=None, bound=None)
        self.add_event_handler("message", self.on_message)
        if args.ping:
            self.register_plugin("xep_0199")
        if args.csi_inactive:
            self.register_plugin("xep_0352")
            self.result["events"] = []
            self.add_event_handler("presence", self.on_presence)
        if args.carbons:
            self.register_plugin("xep_0280")
            self.add_event_handler("carbon_received", lambda m: self.on_carbon("received", m["carbon_received"]))
            self.add_event_handler("carbon_sent", lambda m: self.on_carbon("sent", m["carbon_sent"]))

    async def start(self, _event):
        self.result["bound"] = str(self.boundjid)
        self.send_presence()
        await self.get_roster()
        if self.args.ping:
            # XEP-0199 §4.2 client-to-server ping: send_ping raises on an error or no answer (ping() forgives errors).
            await self.plugin["xep_0199"].send_ping(self.boundjid.domain, timeout=10)
            self.result["pinged"] = True
        if self.args.carbons:
            await self.plugin["xep_0280"].enable()
        if self.args.csi_inactive:
            if not self.plugin["xep_0352"].enabled:
                return self.fail("the server did not offer csi")
            self.plugin["xep_0352"].send_inactive()
            self.inactive = True
        if self.args.send_to:
            self.send_message(mto=self.args.send_to, mbody=self.args.send_body, mtype="chat")
        if not self.args.expect_body:
            self.result["ok"] = True
            await asyncio.sleep(0.5)
            self.disconnect()

    inactive = False

    def on_presence(self, pres):
        if self.inactive:
            self.result["events"].append("presence %s %s" % (pres["from"], pres["show"] or "-"))

    def on_message(self, msg):
        if self.inactive and msg["body"]:
            self.result["events"].append("message %s" % msg["body"])
        if msg["type"] in ("chat", "normal") and msg["body"] == self.args.expect_body:
            self.result["received"] = {"from": str(msg["from"]), "body": msg["body"]}
            self.result["ok"] = True
            self.disconnect()

    def on_carbon(self, direction, inner):
        if inner["body"] == self.args.expect_body:
            self.result["received"] = {"carbon": direction, "from": str(inner["from"]), "to": str(inner["to"]), "body": inner["body"]}
            self.result["ok"] = True
            self.disconnect()


if __name__ == "__main__":
    p = parser(timeout=20)
    p.add_argument("--direct-tls", action="store_true")
    p.add_argument("--send-to")
    p.add_argument("--send-body", default="hello from slixmpp")
    p.add_argument("--expect-body")
    p.add_argument("--carbons", action="store_true")
    p.add_argument("--csi-inactive", action="store_true")
    p.add_argument("--ping", action="store_true")
    main(Chat, p)
