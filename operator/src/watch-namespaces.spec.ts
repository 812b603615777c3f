import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operatorSettings } from './operator-settings.js';

describe('WATCH_NAMESPACE', () => {
  it('is one namespace, a comma-separated list (the chart joins watchNamespace and watchNamespaces), or empty for all', () => {
    assert.deepEqual(operatorSettings({}).watchNamespaces, []);
    assert.deepEqual(operatorSettings({ WATCH_NAMESPACE: '' }).watchNamespaces, []);
    assert.deepEqual(operatorSettings({ WATCH_NAMESPACE: 'chat' }).watchNamespaces, ['chat']);
    assert.deepEqual(operatorSettings({ WATCH_NAMESPACE: 'chat, chat-eu,,chat' }).watchNamespaces, ['chat', 'chat-eu']);
  });

  it('refuses a name that cannot be a namespace, naming it, instead of watching nothing', () => {
    assert.throws(() => operatorSettings({ WATCH_NAMESPACE: 'chat,Chat_EU' }), /WATCH_NAMESPACE: "Chat_EU" is not a namespace name/);
  });
});
