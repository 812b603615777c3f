#!/usr/bin/python3
"""A real slixmpp admin for Glider's end-to-end suite (XEP-0050 + XEP-0133 through slixmpp's plugins).

Logs in, lists the server's commands (disco#items of the commands node), then runs each step of
--steps (JSON: [[command, {var: value or [values]}], ...]) with slixmpp's ad-hoc workflow: execute,
fill the returned form, complete. Prints one JSON line: {"commands": [...], "results": [{"type",
"status", "notes", "fields"}, ...]}. Exits 0 when it logged in and every step got an answer.
"""
import asyncio
import json

from slix_base import ResultClient, main, parser

ADMIN = "http://jabber.org/protocol/admin"


class Admin(ResultClient):
    def __init__(self, args):
        super().__init__(args, commands=None, results=[])
        for p in ("xep_0004", "xep_0030", "xep_0050", "xep_0133"):
            self.register_plugin(p)

    async def run(self):
        items = await self.plugin["xep_0133"].get_commands(timeout=15)
        self.result["commands"] = sorted(n.replace(ADMIN + "#", "") for (_, n, _) in items["disco_items"]["items"])
        for name, fill in json.loads(self.args.steps):
            self.result["results"].append(await self.command(name, fill))

    async def command(self, name, fill):
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


if __name__ == "__main__":
    p = parser(timeout=60)
    p.add_argument("--steps", default="[]")
    main(Admin, p)
