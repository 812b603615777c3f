#!/usr/bin/python3
"""A real slixmpp admin for Glider's end-to-end suite (XEP-0050 + XEP-0133 through slixmpp's plugins).

Logs in, lists the server's commands (disco#items of the commands node), then runs each step of
--steps (JSON: [[command, {var: value or [values]}], ...]) with slixmpp's ad-hoc workflow: execute,
fill the returned form, complete. Prints one JSON line: {"commands": [...], "results": [{"type",
"status", "notes", "fields"}, ...]}. Exits 0 when it logged in and every step got an answer.
"""
import argparse
import asyncio
import json
import sys

import slixmpp

ADMIN = "http://jabber.org/protocol/admin"


class Admin(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.result = {"ok": False, "commands": None, "results": []}
        self.ca_certs = args.ca
        for p in ("xep_0004", "xep_0030", "xep_0050", "xep_0133"):
            self.register_plugin(p)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("no_auth", lambda _: self.fail("no mechanism authenticated"))

    def fail(self, why):
        self.result["error"] = why
        self.disconnect()

    async def start(self, _event):
        try:
            items = await self.plugin["xep_0133"].get_commands(timeout=15)
            self.result["commands"] = sorted(n.replace(ADMIN + "#", "") for (_, n, _) in items["disco_items"]["items"])
            for name, fill in json.loads(self.args.steps):
                self.result["results"].append(await self.run(name, fill))
            self.result["ok"] = True
        except Exception as e:  # noqa: BLE001 - reported in the JSON line
            self.result["error"] = repr(e)
        self.disconnect()

    async def run(self, name, fill):
        done = asyncio.get_running_loop().create_future()

        def on_next(iq, session):
            if iq["command"]["status"] == "executing":
                form = self.plugin["xep_0004"].make_form(ftype="submit")
                form.add_field(var="FORM_TYPE", ftype="hidden", value=ADMIN)
                for var, value in fill.items():
                    multi = isinstance(value, list)
                    form.add_field(var=var, ftype="text-multi" if multi else None, value=value)
                session["payload"] = form
                session["next"] = on_next
                self.plugin["xep_0050"].complete_command(session)
            elif not done.done():
                done.set_result(iq)

        def on_error(iq, _session):
            if not done.done():
                done.set_result(iq)

        self.plugin["xep_0050"].start_command(self.boundjid.domain, "%s#%s" % (ADMIN, name), {"next": on_next, "error": on_error})
        iq = await asyncio.wait_for(done, 15)
        out = {"command": name, "type": iq["type"]}
        if iq["type"] == "error":
            out["condition"] = iq["error"]["condition"]
            out["text"] = iq["error"]["text"]
            return out
        out["status"] = iq["command"]["status"]
        out["notes"] = ["%s: %s" % n for n in iq["command"]["notes"]]
        form = iq["command"]["form"]
        out["fields"] = {var: f.get_value(convert=False) for var, f in form.get_fields().items() if var != "FORM_TYPE"}
        return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--steps", default="[]")
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    xmpp = Admin(args)
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
