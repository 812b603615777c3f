#!/usr/bin/python3
"""XEP-0055 user search and XEP-0054 vCards with slixmpp's plugins, for Glider's end-to-end suite.

Logs in (STARTTLS), finds the search service as a client does (disco#items of the server, then
disco#info of each item for jabber:iq:search), asks it for its form, searches with the form
(--field var=text, repeatable) and with the legacy <last/> field (--legacy-last), sends the bad
searches --bad (a field the form does not have), reads --vcard-of's vCard and tries to change its
FN (expected refused). Prints one JSON line and exits 0 when every step answered as a client sees
it (results and error conditions are reported, the test asserts them), 1 on a timeout or crash.
"""
import argparse
import asyncio
import json
import sys

import slixmpp
from slixmpp.exceptions import IqError

SEARCH = "jabber:iq:search"


class Search(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.result = {"ok": False}
        self.ca_certs = args.ca
        for plugin in ("xep_0030", "xep_0004", "xep_0054"):
            self.register_plugin(plugin)
        # A client: it asks a search service, it does not offer one.
        self.register_plugin("xep_0055", {"provide_search": False})
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_all_auth", lambda _: self.fail("authentication failed"))

    def fail(self, why):
        self.result["error"] = why
        self.disconnect()

    async def find_service(self):
        items = await self.plugin["xep_0030"].get_items(jid=self.boundjid.domain, timeout=10)
        for item in items["disco_items"]["items"]:
            info = await self.plugin["xep_0030"].get_info(jid=item[0], timeout=10)
            if SEARCH in info["disco_info"]["features"]:
                return item[0], [f"{i[0]}/{i[1]}" for i in info["disco_info"]["identities"]]
        return None, []

    async def search(self, host, fields):
        iq = self.plugin["xep_0055"].make_search_iq(ito=host)
        for var, text in fields:
            iq["search"]["form"].add_field(var=var, value=text)
        try:
            res = await iq.send(timeout=15)
        except IqError as err:
            return {"error": err.iq["error"]["condition"]}
        form = res["search"]["form"]
        return {"jids": [str(item["jid"]) for item in form["items"]], "instructions": str(form["instructions"])}

    async def legacy(self, host, last):
        iq = self.make_iq_set(ito=host)
        iq["search"].xml.append(slixmpp.ET.fromstring(f"<last xmlns='{SEARCH}'>{last}</last>"))
        res = await iq.send(timeout=15)
        return [i.get("jid") for i in res["search"].xml.findall(f"{{{SEARCH}}}item")]

    async def start(self, _event):
        try:
            host, identities = await self.find_service()
            self.result["service"] = host
            self.result["identities"] = identities
            if host is None:
                raise RuntimeError("no jabber:iq:search service in the server's disco#items")
            get = self.make_iq_get(ito=host)
            get.enable("search")
            form = (await get.send(timeout=10))["search"]["form"]
            fields = form["fields"]
            names = fields.keys() if hasattr(fields, "keys") else fields
            self.result["form_fields"] = [n if isinstance(n, str) else n["var"] for n in names]
            self.result["searches"] = [await self.search(host, [f.split("=", 1)]) for f in self.args.field]
            if self.args.legacy_last:
                self.result["legacy"] = await self.legacy(host, self.args.legacy_last)
            self.result["bad"] = (await self.search(host, [("shoeSize", "42")]))
            if self.args.vcard_of:
                card = (await self.plugin["xep_0054"].get_vcard(self.args.vcard_of, timeout=10))["vcard_temp"]
                self.result["vcard"] = {"FN": card["FN"], "EMAIL": card["EMAIL"]["USERID"], "TITLE": card["TITLE"]}
                mine = self.plugin["xep_0054"].make_vcard()
                mine["FN"] = "Somebody Else"
                try:
                    await self.plugin["xep_0054"].publish_vcard(mine, timeout=10)
                    self.result["vcard_set"] = "result"
                except IqError as err:
                    self.result["vcard_set"] = err.iq["error"]["condition"]
            self.result["ok"] = True
        except Exception as err:  # an IqError or IqTimeout outside the expected ones: reported, exit 1
            self.result["error"] = repr(err)
        self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--field", action="append", default=[], help="var=text: one form search each")
    p.add_argument("--legacy-last")
    p.add_argument("--vcard-of")
    p.add_argument("--timeout", type=float, default=40)
    args = p.parse_args()
    xmpp = Search(args)
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
