import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StanzaError } from '#libs/stanza';
import { applyConfig, checkPreconditions, configForm, configFromStored, configToStored, defaultConfig } from './node-config.js';

const LIMITS = { maxItemsPerNode: 10 };
const app = (e: unknown) => (e instanceof StanzaError ? `${e.condition}/${e.appCondition?.name ?? ''}` : 'ok');

describe('node configuration (XEP-0060 §16.4.4, XEP-0223)', () => {
  test('defaults: PEP nodes are presence-access with the last item on presence; service nodes open', () => {
    const pep = defaultConfig('pep', 1);
    assert.equal(pep.accessModel, 'presence');
    assert.equal(pep.sendLastPublishedItem, 'on_sub_and_presence');
    assert.equal(defaultConfig('service', 1).accessModel, 'open');
  });

  test('applies known options, stores and reads them back; the form shows them', () => {
    const c = applyConfig(
      defaultConfig('pep', 1),
      new Map([
        ['pubsub#access_model', ['whitelist']],
        ['pubsub#max_items', ['max']],
        ['pubsub#persist_items', ['0']],
      ]),
      LIMITS,
    );
    assert.ok(!(c instanceof StanzaError));
    assert.equal(c.accessModel, 'whitelist');
    assert.equal(c.maxItems, 10);
    assert.equal(c.persistItems, false);
    assert.deepEqual(configFromStored(configToStored(c), defaultConfig('pep', 1), LIMITS), c);
    const field = configForm(c)
      .getChildren('field')
      .find((f) => f.attrs.var === 'pubsub#access_model');
    assert.equal(field?.getChildText('value'), 'whitelist');
  });

  test('an unknown option, a bad value or max_items past the limit is not-acceptable', () => {
    const base = defaultConfig('pep', 1);
    assert.equal(app(applyConfig(base, new Map([['pubsub#colour', ['red']]]), LIMITS)), 'not-acceptable/invalid-options');
    assert.equal(app(applyConfig(base, new Map([['pubsub#access_model', ['authorize']]]), LIMITS)), 'not-acceptable/invalid-options');
    assert.equal(app(applyConfig(base, new Map([['pubsub#max_items', ['11']]]), LIMITS)), 'not-acceptable/invalid-options');
    assert.equal(app(applyConfig(base, new Map([['pubsub#max_items', ['0']]]), LIMITS)), 'not-acceptable/invalid-options');
  });

  test('XEP-0223 preconditions: equal values pass (booleans in either spelling); others are precondition-not-met', () => {
    const base = defaultConfig('pep', 1);
    assert.equal(
      checkPreconditions(
        base,
        new Map([
          ['pubsub#persist_items', ['true']],
          ['pubsub#access_model', ['presence']],
        ]),
        LIMITS,
      ),
      undefined,
    );
    assert.equal(app(checkPreconditions(base, new Map([['pubsub#access_model', ['open']]]), LIMITS)), 'conflict/precondition-not-met');
    assert.equal(app(checkPreconditions(base, new Map([['pubsub#unknown', ['x']]]), LIMITS)), 'conflict/precondition-not-met');
  });
});
