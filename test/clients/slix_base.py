"""What every slixmpp client of Glider's end-to-end suite shares (Debian's python3-slixmpp, so run
them with /usr/bin/python3).

A script subclasses ResultClient, which logs in as --jid with --password trusting the CA in --ca,
and fills self.result; main() connects it (STARTTLS, or direct TLS), waits until it is finished or
--timeout passes, prints self.result as one JSON line and exits 0 when result["ok"], else 1. The
e2e files parse that line: "ok" is always there, "error" says what went wrong.
"""
import argparse
import asyncio
import json
import sys

import slixmpp


class ResultClient(slixmpp.ClientXMPP):
    """A client whose outcome is self.result; subclasses override start() or run()."""

    def __init__(self, args, jid=None, **result):
        super().__init__(jid or args.jid, args.password)
        self.args = args
        self.ca_certs = args.ca
        self.result = {"ok": False, **result}
        self.add_event_handler("session_start", self.start)
        # failed_auth fires per mechanism (slixmpp then tries the next one); no_auth when none is left.
        self.add_event_handler("no_auth", lambda _: self.fail("no mechanism authenticated"))

    def fail(self, why):
        self.result["error"] = why
        self.disconnect()

    async def start(self, _event):
        """The session is up: run() the script's steps; ok when they all returned, the error if not."""
        try:
            await self.run()
            self.result["ok"] = True
        except Exception as err:  # an IqError, IqTimeout, a missing event...: reported, exit 1
            self.result["error"] = repr(err)
            self.on_error(err)
        self.disconnect()

    async def run(self):
        raise NotImplementedError("a ResultClient overrides start() or run()")

    def on_error(self, err):
        """What run()'s failure adds to the result beside "error" (nothing by default)."""

    def finished(self):
        """The awaitable main() waits for: by default the first disconnection."""
        return self.disconnected


def parser(timeout, jid=True):
    """argparse with the options every client takes; --jid only when one account logs in."""
    p = argparse.ArgumentParser()
    if jid:
        p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--timeout", type=float, default=timeout)
    return p


def emit(result):
    """Prints the result line and exits with its verdict."""
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


def main(client_class, p):
    """Parses the options, runs one client_class to its end or --timeout, then emit()s its result.
    STARTTLS, or direct TLS (XEP-0368) when the parser has --direct-tls and it was given."""
    args = p.parse_args()
    xmpp = client_class(args)
    direct_tls = getattr(args, "direct_tls", False)
    xmpp.connect((args.host, args.port), use_ssl=direct_tls, force_starttls=not direct_tls)
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(xmpp.finished(), args.timeout))
    except asyncio.TimeoutError:
        xmpp.result["error"] = xmpp.result.get("error") or "timeout"
    emit(xmpp.result)
