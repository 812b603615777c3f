import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { InviteOperations } from '#libs/admin';
import { pino } from 'pino';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';

/** Debian's Chromium (apt `chromium`); playwright-core only drives it, nothing is downloaded. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * The invitation landing page on the edge's HTTPS listener, opened in headless Chromium from the
 * link the admin code (gliderctl invite create) prints: the button carries the xmpp: URI, the
 * instructions name common clients, a broken link says so, and the token never reaches the server.
 */
describe('invitation landing page (headless Chromium)', () => {
  let h: EdgeHarness;
  let browser: Browser;
  const requested: string[] = [];

  before(async () => {
    h = await startEdge({ invites: { enabled: true } });
    await h.addUser('romeo', 'romeo-pw');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  const linkFor = async (target: string): Promise<{ uri: string; link: string }> => {
    const ops = new InviteOperations({
      config: { ...h.config, invites: { ...h.config.invites, landingBaseUrl: `https://127.0.0.1:${h.edge.ports.wss}` } },
      storage: h.storage,
      logger: pino({ level: 'silent' }),
    });
    return ops.create(target, {});
  };

  test('a roster invite: who invites, a button opening the xmpp: URI, clients to install', async () => {
    const { uri, link } = await linkFor(`romeo@${DOMAIN}`);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await context.newPage();
      page.on('request', (r) => requested.push(r.url()));
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      const res = await page.goto(link);
      assert.equal(res?.status(), 200);
      assert.match(res.headers()['content-security-policy'] ?? '', /default-src 'none'/);
      await page.locator('#invite').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#who').textContent(), `romeo@${DOMAIN} invites you to chat on ${DOMAIN}.`);
      assert.equal(await page.locator('#open').getAttribute('href'), uri);
      assert.equal(await page.locator('#uri').textContent(), uri);
      const text = await page.locator('body').innerText();
      for (const client of ['Conversations', 'Monal', 'Gajim', 'Dino']) assert.ok(text.includes(client), client);
      assert.ok(await page.locator('#broken').isHidden());
      assert.deepEqual(errors, [], 'the script runs under the CSP without errors');
      const token = /preauth=([^;]+)/.exec(uri)![1]!;
      assert.ok(requested.length > 0 && requested.every((u) => !u.includes(token)), 'the token stays in the fragment');
    } finally {
      await context.close();
    }
  });

  test('a cut-off link says it is incomplete; other paths are 404', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await context.newPage();
      await page.goto(`https://127.0.0.1:${h.edge.ports.wss}/invite#xmpp:${DOMAIN}?register`);
      await page.locator('#broken').waitFor({ state: 'visible' });
      assert.ok(await page.locator('#invite').isHidden());
      const other = await page.goto(`https://127.0.0.1:${h.edge.ports.wss}/elsewhere`);
      assert.equal(other?.status(), 404);
    } finally {
      await context.close();
    }
  });
});
