// Writes what the chart generates from the TypeScript schemas (the CRD template and
// values.schema.json): node dist/operator/src/api/v1alpha1/generate-crd.js
import { writeFileSync } from 'node:fs';
import { valuesJsonSchema } from '../../chart/values.schema.js';
import { crdTemplate } from './crd.js';

export const CRD_TEMPLATE_PATH = 'charts/glider/templates/crds/xmppclusters.glider.im.yaml';
export const VALUES_SCHEMA_PATH = 'charts/glider/values.schema.json';

export const valuesSchemaText = (): string => JSON.stringify(valuesJsonSchema(), null, 2) + '\n';

if (process.argv[1]?.endsWith('generate-crd.js')) {
  writeFileSync(CRD_TEMPLATE_PATH, crdTemplate());
  writeFileSync(VALUES_SCHEMA_PATH, valuesSchemaText());
  console.log(`wrote ${CRD_TEMPLATE_PATH} and ${VALUES_SCHEMA_PATH}`);
}
