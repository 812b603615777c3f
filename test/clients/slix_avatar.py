#!/usr/bin/python3
"""Avatars with slixmpp's own plugins (xep_0153, xep_0084, xep_0054), for Glider's end-to-end suite.

--mode watch     sends presence and waits until --contact's presence carries a vCard avatar hash
                 (xep_0153's vcard_avatar_update event): the hash the server put there.
--mode publish   publishes --image as a XEP-0084 avatar (data, then metadata) with xep_0084.
--mode vcard-get reads --contact's vCard (xep_0054) and reports the SHA-1 of its PHOTO.
Prints one JSON line {"ok", "hash"} and exits 0 on success, 1 on failure or timeout.
"""
import asyncio
import hashlib

from slix_base import ResultClient, main, parser


class Avatar(ResultClient):
    def __init__(self, args):
        super().__init__(args)
        for plugin in ("xep_0030", "xep_0054", "xep_0060", "xep_0084", "xep_0153", "xep_0163"):
            self.register_plugin(plugin)
        self.add_event_handler("vcard_avatar_update", self.on_hash)
        self.hashed = asyncio.Event()

    def on_hash(self, pres):
        photo = pres["vcard_temp_update"]["photo"]
        if pres["from"].bare == self.args.contact and photo:
            self.result["hash"] = photo
            self.hashed.set()

    async def run(self):
        if self.args.mode == "watch":
            self.send_presence()
            await asyncio.wait_for(self.hashed.wait(), 15)
        elif self.args.mode == "publish":
            with open(self.args.image, "rb") as f:
                data = f.read()
            await self.plugin["xep_0084"].publish_avatar(data, timeout=10)
            info = {"id": self.plugin["xep_0084"].generate_id(data), "type": "image/png", "bytes": len(data)}
            await self.plugin["xep_0084"].publish_avatar_metadata([info], timeout=10)
            self.result["hash"] = info["id"]
        elif self.args.mode == "vcard-get":
            iq = await self.plugin["xep_0054"].get_vcard(self.args.contact, local=False, cached=False, timeout=10)
            binval = iq["vcard_temp"]["PHOTO"]["BINVAL"]
            self.result["hash"] = hashlib.sha1(binval).hexdigest() if binval else ""


if __name__ == "__main__":
    p = parser(timeout=30)
    p.add_argument("--mode", choices=["watch", "publish", "vcard-get"], required=True)
    p.add_argument("--contact", default="")
    p.add_argument("--image", default="")
    main(Avatar, p)
