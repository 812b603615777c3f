import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml } from '#libs/xml';
import { FormError, dataForm, readSubmittedForm, type FormDefinition } from './data-form.js';

const DEF: FormDefinition = {
  formType: 'urn:example:form',
  fields: [
    { var: 'who', type: 'jid-single', required: true },
    { var: 'many', type: 'jid-multi' },
    { var: 'flag', type: 'boolean' },
    { var: 'size', type: 'list-single', options: [{ value: 'small' }, { value: 'large' }] },
    { var: 'lines', type: 'text-multi' },
    { var: 'secret', type: 'text-private' },
  ],
};

const submit = (fields: [string, string[]][], type = 'submit') =>
  xml('x', { xmlns: 'jabber:x:data', type }, ...fields.map(([v, values]) => xml('field', { var: v }, ...values.map((x) => xml('value', {}, x)))));

test('XEP-0004: reads each type of a submitted form', () => {
  const v = readSubmittedForm(
    submit([
      ['FORM_TYPE', ['urn:example:form']],
      ['who', ['juliet@example.com/balcony']],
      ['many', ['a@example.com', 'example.org']],
      ['flag', ['1']],
      ['size', ['large']],
      ['lines', ['one', 'two']],
      ['unknown', ['ignored']],
    ]),
    DEF,
  );
  assert.deepEqual(Object.fromEntries(v), {
    who: ['juliet@example.com/balcony'],
    many: ['a@example.com', 'example.org'],
    flag: ['true'],
    size: ['large'],
    lines: ['one', 'two'],
  });
});

test('XEP-0004: refuses what does not fit the form, naming the problem', () => {
  const bad: [Parameters<typeof readSubmittedForm>[0], RegExp][] = [
    [undefined, /no data form/],
    [xml('x', { xmlns: 'urn:other', type: 'submit' }), /no data form/],
    [submit([['who', ['a@example.com']]], 'form'), /type "submit"/],
    [submit([]), /"who" is required/],
    [submit([['who', ['']]]), /"who" is required/],
    [submit([['who', ['a@b@c']]]), /not a valid JID/],
    [submit([['who', ['a@example.com', 'b@example.com']]]), /takes one value/],
    [
      submit([
        ['who', ['a@example.com']],
        ['flag', ['yes']],
      ]),
      /boolean/,
    ],
    [
      submit([
        ['who', ['a@example.com']],
        ['size', ['medium']],
      ]),
      /not one of its options/,
    ],
    [
      submit([
        ['who', ['a@example.com']],
        ['many', ['ok@example.com', '@bad']],
      ]),
      /not a valid JID/,
    ],
    [
      submit([
        ['FORM_TYPE', ['urn:other']],
        ['who', ['a@example.com']],
      ]),
      /FORM_TYPE must be urn:example:form/,
    ],
    [
      submit([
        ['who', ['a@example.com']],
        ['who', ['b@example.com']],
      ]),
      /appears twice/,
    ],
  ];
  for (const [x, message] of bad)
    assert.throws(
      () => readSubmittedForm(x, DEF),
      (err: unknown) => err instanceof FormError && message.test(err.message),
      String(x),
    );
});

test('XEP-0004: builds a form with FORM_TYPE, required markers and options, and a result without them', () => {
  const form = dataForm('form', { ...DEF, title: 'T', instructions: 'Fill it' });
  assert.equal(form.getChildText('title'), 'T');
  const fields = form.getChildren('field');
  assert.deepEqual(
    fields.map((f) => f.attrs.var),
    ['FORM_TYPE', 'who', 'many', 'flag', 'size', 'lines', 'secret'],
  );
  assert.ok(fields[1]!.getChild('required'));
  assert.deepEqual(
    fields[4]!.getChildren('option').map((o) => o.getChildText('value')),
    ['small', 'large'],
  );
  assert.equal(dataForm('result', DEF).getChildren('field')[1]!.getChild('required'), undefined);
});
