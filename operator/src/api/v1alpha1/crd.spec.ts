import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkRulesKnown } from '../../testing/emulator/schema-validation.js';
import { crdTemplate, xmppClusterCrd } from './crd.js';
import { componentsTemplate } from '../../chart/components-template.js';
import { COMPONENTS_TEMPLATE_PATH, CRD_TEMPLATE_PATH, VALUES_SCHEMA_PATH, valuesSchemaText } from './generate-crd.js';

describe('XmppCluster CRD generated from the TypeScript schema', () => {
  const schema: any = xmppClusterCrd().spec.versions[0]!.schema.openAPIV3Schema;

  it('is what the chart ships (regenerate with node dist/operator/src/api/v1alpha1/generate-crd.js)', () => {
    assert.equal(readFileSync(CRD_TEMPLATE_PATH, 'utf8'), crdTemplate());
    assert.equal(readFileSync(VALUES_SCHEMA_PATH, 'utf8'), valuesSchemaText());
    assert.equal(readFileSync(COMPONENTS_TEMPLATE_PATH, 'utf8'), componentsTemplate());
  });

  it('is structural: no additionalProperties:false, free-form maps preserve unknown fields', () => {
    const walk = (s: any, path: string): void => {
      assert.notEqual(s.additionalProperties, false, path);
      assert.ok(s.type || s['x-kubernetes-preserve-unknown-fields'], `${path} has a type`);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${k}`);
      if (s.items) walk(s.items, `${path}[]`);
    };
    walk(schema, '');
    assert.equal(schema.properties.spec.properties.config['x-kubernetes-preserve-unknown-fields'], true);
  });

  it('uses only CEL rules the emulator can check, and RE2-compatible patterns', () => {
    checkRulesKnown(schema);
    const patterns: string[] = [];
    const walk = (s: any): void => {
      if (s.pattern) patterns.push(s.pattern);
      Object.values(s.properties ?? {}).forEach(walk);
      if (s.items) walk(s.items);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties);
    };
    walk(schema);
    assert.ok(patterns.length > 3);
    for (const p of patterns) assert.doesNotMatch(p, /\(\?[=!<]/, `no lookaround (RE2): ${p}`);
  });

  it('has printer columns for phase, ready components, certificate expiry and age', () => {
    const cols = xmppClusterCrd().spec.versions[0]!.additionalPrinterColumns.map((c: any) => c.name);
    assert.deepEqual(cols, ['Phase', 'Ready', 'Domain', 'Cert-Expiry', 'Age']);
  });
});
