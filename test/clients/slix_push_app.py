#!/usr/bin/python3
"""A XEP-0357 App Server's push service played by slixmpp, for Glider's end-to-end suite.

Logs in (STARTTLS), tells --ready-to it is there (a chat message "ready"), answers every pubsub
publish IQ-set with a result (XEP-0060 section 7.1.2) and records its node, the summary form of the
<notification xmlns='urn:xmpp:push:0'/> and the publish-options form. After --expect publishes it
prints a JSON line {"ok", "publishes": [{"from", "node", "summary", "options"}]} and exits 0; on a
timeout it prints what it got and exits 1.
"""
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from slix_base import ResultClient, main, parser

PUBSUB = "http://jabber.org/protocol/pubsub"
PUSH = "urn:xmpp:push:0"
XDATA = "jabber:x:data"


def fields(x):
    if x is None:
        return {}
    out = {}
    for f in x.findall("{%s}field" % XDATA):
        v = f.find("{%s}value" % XDATA)
        out[f.get("var")] = v.text if v is not None else None
    return out


class PushApp(ResultClient):
    def __init__(self, args):
        super().__init__(args, publishes=[])
        self.register_handler(Callback("push publish", MatchXPath("{jabber:client}iq/{%s}pubsub" % PUBSUB), self.on_pubsub))

    async def start(self, _event):
        self.send_message(mto=self.args.ready_to, mbody="ready", mtype="chat")

    def on_pubsub(self, iq):
        if iq["type"] != "set":
            return
        pubsub = iq.xml.find("{%s}pubsub" % PUBSUB)
        publish = pubsub.find("{%s}publish" % PUBSUB)
        item = publish.find("{%s}item" % PUBSUB) if publish is not None else None
        notification = item.find("{%s}notification" % PUSH) if item is not None else None
        options = pubsub.find("{%s}publish-options" % PUBSUB)
        self.result["publishes"].append(
            {
                "from": str(iq["from"]),
                "node": publish.get("node") if publish is not None else None,
                "summary": fields(notification.find("{%s}x" % XDATA) if notification is not None else None),
                "options": fields(options.find("{%s}x" % XDATA) if options is not None else None),
            }
        )
        iq.reply(clear=True).send()
        if len(self.result["publishes"]) >= self.args.expect:
            self.result["ok"] = True
            self.disconnect()


if __name__ == "__main__":
    p = parser(timeout=60)
    p.add_argument("--ready-to", required=True)
    p.add_argument("--expect", type=int, default=1)
    main(PushApp, p)
