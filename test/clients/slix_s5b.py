#!/usr/bin/python3
"""Two real slixmpp clients transfer a file through Glider's XEP-0065 SOCKS5 proxy.

The sender discovers the proxy as slixmpp does on any server (disco#items of the domain, then
disco#info of each item for identity proxy/bytestreams, then the streamhost query), offers only
that streamhost to the receiver, connects, activates and writes the file; the receiver accepts,
connects to the same streamhost, and hashes what arrives until the stream closes. slixmpp's
xep_0065 offers no direct (peer-to-peer) streamhost, so every byte crosses the proxy.

Prints one JSON line: sizes and SHA-256 of what was sent and received, the proxy used, and its
announced host/port; exits 0 when the receiver got exactly what was sent.
"""
import asyncio
import hashlib
import os

from slix_base import ResultClient, emit, parser


class Client(ResultClient):
    def __init__(self, args, jid):
        super().__init__(args, jid=jid)
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0065", {"auto_accept": True})
        self.ready = asyncio.get_event_loop().create_future()

    async def start(self, _event):
        self.send_presence()
        await self.get_roster()
        if not self.ready.done():
            self.ready.set_result(True)


async def run(args):
    result = {"ok": False}
    sender = Client(args, args.sender)
    receiver = Client(args, args.receiver)
    got = hashlib.sha256()
    received = {"size": 0}
    done = asyncio.get_event_loop().create_future()
    receiver.add_event_handler("socks5_data", lambda data: (got.update(data), received.__setitem__("size", received["size"] + len(data))))
    receiver.add_event_handler("socks5_closed", lambda exc: done.done() or done.set_result(True))
    for c in (sender, receiver):
        c.connect((args.host, args.port), force_starttls=True)
    await asyncio.gather(sender.ready, receiver.ready)

    proxies = await sender["xep_0065"].discover_proxies()
    result["proxies"] = {str(j): [h, str(p)] for j, (h, p) in proxies.items()}
    if not proxies:
        result["error"] = "no SOCKS5 proxy discovered"
        return result

    payload = os.urandom(args.size)
    sent = hashlib.sha256(payload).hexdigest()
    sock = await sender["xep_0065"].handshake(receiver.boundjid.full)
    if sock is None:
        result["error"] = "handshake failed"
        return result
    chunk = 64 * 1024
    for i in range(0, len(payload), chunk):
        await sock.write(payload[i : i + chunk])
    sock.transport.close()
    await asyncio.wait_for(done, args.timeout)
    result.update(
        sent={"size": len(payload), "sha256": sent},
        received={"size": received["size"], "sha256": got.hexdigest()},
    )
    result["ok"] = received["size"] == len(payload) and got.hexdigest() == sent
    for c in (sender, receiver):
        c.disconnect()
    return result


def main():
    p = parser(timeout=60, jid=False)
    p.add_argument("--sender", required=True)
    p.add_argument("--receiver", required=True)
    p.add_argument("--size", type=int, default=10 * 1024 * 1024)
    args = p.parse_args()
    loop = asyncio.get_event_loop()
    try:
        result = loop.run_until_complete(asyncio.wait_for(run(args), args.timeout))
    except Exception as e:  # a timeout or a protocol error: reported, exit 1
        result = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    emit(result)


if __name__ == "__main__":
    main()
