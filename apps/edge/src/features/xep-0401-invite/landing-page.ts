import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where the landing page is served on the edge's HTTPS (WebSocket) listener. */
export const INVITE_PATH = '/invite';

/**
 * The invitation landing page (XEP-0401 §5: an https link for people without an XMPP client yet).
 * Static: the invite's xmpp: URI travels in the URL fragment (`/invite#xmpp:…`), which browsers
 * never send, so no token reaches the server or its logs, and the page does not tell whether a token
 * is valid. Its script shows the address, a button opening the URI in an installed client, and how
 * to join with common clients. No external resources; a strict Content-Security-Policy.
 */
export function landingPage(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (path !== INVITE_PATH && path !== `${INVITE_PATH}/`) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return true;
  }
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy':
      "default-src 'none'; script-src 'sha256-" + SCRIPT_HASH + "'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : HTML);
  return true;
}

const SCRIPT = `
(function () {
  var raw = '';
  try { raw = decodeURIComponent(location.hash.slice(1)); } catch (e) { raw = ''; }
  var m = /^xmpp:([^?#\\s]+)\\?(register|roster)(;[^#\\s]*)?$/.exec(raw);
  var ok = m && /;preauth=[A-Za-z0-9_-]+/.test(m[3] || '');
  document.getElementById(ok ? 'invite' : 'broken').hidden = false;
  if (!ok) return;
  var target = m[1];
  var domain = target.indexOf('@') >= 0 ? target.slice(target.indexOf('@') + 1) : target;
  document.getElementById('who').textContent = m[2] === 'roster' ? target + ' invites you to chat on ' + domain + '.' : 'You are invited to join ' + domain + '.';
  var open = document.getElementById('open');
  open.href = raw;
  document.getElementById('uri').textContent = raw;
})();
`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Invitation to chat</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
a.button { display: inline-block; padding: .6rem 1.2rem; background: #2b6cb0; color: #fff; border-radius: .4rem; text-decoration: none; }
code { word-break: break-all; background: #f2f2f2; padding: .1rem .3rem; }
li { margin: .3rem 0; }
</style>
</head>
<body>
<main>
<section id="invite" hidden>
<h1>You are invited</h1>
<p id="who"></p>
<p><a id="open" class="button" href="#">Open in your chat app</a></p>
<h2>No chat app yet?</h2>
<ol>
<li>Install an XMPP client:
<ul>
<li>Android: <strong>Conversations</strong> or <strong>Cheogram</strong></li>
<li>iPhone, iPad and Mac: <strong>Monal</strong> or <strong>Siskin IM</strong></li>
<li>Windows and Linux: <strong>Gajim</strong>; Linux: <strong>Dino</strong></li>
</ul></li>
<li>Come back to this page on the same device and press the button above; the app creates your
account (pick a name and a password) and, if someone invited you, adds them as a contact.</li>
<li>If the button does nothing, copy this address into the app's “add account” or “add contact”
screen: <code id="uri"></code></li>
</ol>
<p>Invitations expire and may be used a limited number of times.</p>
</section>
<section id="broken" hidden>
<h1>This invitation link is incomplete</h1>
<p>Ask the person who invited you to send the whole link again.</p>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
