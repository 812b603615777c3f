import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { waitFor } from '#libs/testing';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';

/** Failed-login back-off per address and per account, lockout and the failed-login log, over real streams. */
describe('SASL failed-login back-off and log', () => {
  let h: EdgeHarness;
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const clients: RawClient[] = [];
  const attempt = async (user: string, password: string, localAddress = '127.0.0.1'): Promise<string> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls, localAddress });
    clients.push(c);
    await c.open(DOMAIN);
    const outcome = await c.scram(user, password, 'SCRAM-SHA-256');
    c.close();
    return outcome.name === 'success' ? 'success' : outcome.elements()[0]!.name;
  };
  const answers = (): number[] => h.events.filter((e) => /^delay \d+$/.test(e)).map((e) => Number(e.split(' ')[1]));

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    h = await startEdge(
      { edge: { authFailureDelayMs: 50, authFailureDelayMaxMs: 100_000, authFailures: { lockoutAfter: 4, lockoutMs: 600_000, logLinesPerInterval: 1000 } } },
      { logger: pino({ level: 'info' }, sink) },
    );
    for (const user of ['victim', 'mallory', 'carol', 'dave', 'erin']) await h.addUser(user, `${user}-secret`);
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test("logging into one's own account between guesses does not reset the address's back-off", async () => {
    h.events.length = 0;
    for (let i = 0; i < 3; i++) {
      assert.equal(await attempt('victim', `guess-${i}`, '127.0.0.3'), 'not-authorized');
      assert.equal(await attempt('mallory', 'mallory-secret', '127.0.0.3'), 'success');
    }
    assert.deepEqual(answers(), [50, 100, 200]);
    // the victim's own success resets the victim's account, so the lockout (4) is not reached
    assert.equal(await attempt('victim', 'victim-secret', '127.0.0.4'), 'success');
  });

  test('the account carries its failures to another source address', async () => {
    h.events.length = 0;
    assert.equal(await attempt('carol', 'wrong', '127.0.0.5'), 'not-authorized');
    assert.equal(await attempt('carol', 'wrong', '127.0.0.5'), 'not-authorized');
    assert.equal(await attempt('carol', 'wrong', '127.0.0.6'), 'not-authorized');
    assert.deepEqual(answers(), [50, 100, 200]);
  });

  test('parallel streams from one address wait their turn at the gate, before their password is checked', async () => {
    assert.equal(await attempt('dave', 'wrong', '127.0.0.7'), 'not-authorized');
    h.events.length = 0;
    const outcomes = await Promise.all(['x', 'y', 'z'].map((p) => attempt('dave', p, '127.0.0.7')));
    assert.deepEqual(outcomes, ['not-authorized', 'not-authorized', 'not-authorized']);
    const gates = h.events.filter((e) => /^gate \d+$/.test(e)).map((e) => Number(e.split(' ')[1]));
    assert.ok(gates.filter((ms) => ms > 0).length >= 2, `serialised: ${h.events.join(', ')}`);
  });

  test('lockout: after lockoutAfter failures the right password gets <account-disabled/>; others log in', async () => {
    for (let i = 0; i < 4; i++) assert.equal(await attempt('erin', `wrong-${i}`, `127.0.1.${i}`), 'not-authorized');
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls, localAddress: '127.0.1.9' });
    clients.push(c);
    await c.open(DOMAIN);
    const outcome = await c.scram('erin', 'erin-secret', 'SCRAM-SHA-256');
    assert.equal(outcome.elements()[0]!.name, 'account-disabled');
    assert.match(outcome.getChildText('text') ?? '', /too many failed logins/);
    assert.equal(await attempt('mallory', 'mallory-secret', '127.0.1.9'), 'success');
  });

  test('every failure is logged with account, address, mechanism and reason, never the password', async () => {
    const failed = lines.filter((l) => l.event === 'auth-failed');
    assert.ok(
      failed.some((l) => l.account === 'carol@example.test' && l.address === '127.0.0.6' && l.mechanism === 'SCRAM-SHA-256' && l.reason === 'not-authorized'),
    );
    assert.ok(failed.some((l) => l.account === 'erin@example.test' && l.reason === 'account-disabled: locked out'));
    for (const secret of ['guess-0', 'wrong-1', 'erin-secret', 'victim-secret']) {
      assert.ok(!raw.some((line) => line.includes(secret)), `${secret} leaked into the log`);
    }
  });
});

describe('the failed-login log under a flood', () => {
  test('writes at most logLinesPerInterval lines, then a summary with the count left out', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const h = await startEdge({ edge: { authFailures: { logLinesPerInterval: 2, logIntervalMs: 600_000 } } }, { logger: pino({ level: 'info' }, sink) });
    await h.addUser('alice', 'secret');
    for (let i = 0; i < 6; i++) {
      const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
      await c.open(DOMAIN);
      assert.equal((await c.plain('alice', `wrong-${i}`)).name, 'failure');
      c.close();
    }
    assert.equal(lines.filter((l) => l.event === 'auth-failed').length, 2);
    await h.stop(); // ends the interval early: the summary is written
    await waitFor(() => lines.some((l) => l.event === 'auth-failed-suppressed'), { what: 'the summary line' });
    assert.deepEqual(
      lines.filter((l) => l.event === 'auth-failed-suppressed').map((l) => l.suppressed),
      [4],
    );
  });
});
