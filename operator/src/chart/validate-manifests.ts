// Validates rendered manifests (helm template output) offline:
//   helm template ... | node dist/operator/src/chart/validate-manifests.js <k8s-openapi-v3-dir>
// Built-in kinds are checked against the Kubernetes OpenAPI v3 schemas; custom resources against
// the CRDs in the same manifest, with the API emulator's structural validation (strict: unknown
// fields are errors). Exits 1 on any problem.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { admitCustomObject } from '../testing/emulator/schema-validation.js';
import { OpenApiValidator } from './openapi-validator.js';

/** What is read of a rendered object; the rest is validated against its schema. */
type Manifest = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: unknown } }[] };
};

export function validateManifests(yamlText: string, validator: OpenApiValidator): { checked: number; problems: string[] } {
  const docs = parseAllDocuments(yamlText)
    .map((d) => d.toJSON() as unknown)
    .filter((d): d is Manifest => d !== null && typeof d === 'object');
  const crds = new Map<string, { schema: unknown; group: string }>();
  for (const d of docs)
    if (d.kind === 'CustomResourceDefinition' && d.spec)
      for (const v of d.spec.versions) crds.set(`${d.spec.group}/${v.name}/${d.spec.names.kind}`, { schema: v.schema.openAPIV3Schema, group: d.spec.group });
  const problems: string[] = [];
  for (const d of docs) {
    const id = `${d.kind}/${d.metadata?.name ?? ''}`;
    if (!d.apiVersion || !d.kind || !d.metadata?.name) {
      problems.push(`${id}: apiVersion, kind and metadata.name are required`);
      continue;
    }
    const crd = crds.get(`${d.apiVersion}/${d.kind}`);
    if (crd) {
      try {
        admitCustomObject(structuredClone(d), crd.schema, undefined, d.kind, crd.group, true);
      } catch (err) {
        problems.push(`${id}: ${(err as Error).message}`);
      }
      continue;
    }
    for (const p of validator.validate(d)) problems.push(`${id}: ${p}`);
  }
  return { checked: docs.length, problems };
}

if (process.argv[1]?.endsWith('validate-manifests.js')) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: validate-manifests.js <openapi-v3-dir> [manifest.yaml] (default: stdin)');
    process.exit(2);
  }
  const text = readFileSync(process.argv[3] ?? 0, 'utf8');
  const { checked, problems } = validateManifests(text, new OpenApiValidator(dir));
  for (const p of problems) console.error(`invalid: ${p}`);
  console.log(`${checked} objects checked, ${problems.length} problems`);
  process.exit(problems.length ? 1 : checked > 0 ? 0 : 1);
}
