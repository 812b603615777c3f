// Writes what the chart generates from the TypeScript sources (the CRD template, values.schema.json
// and the components helpers): node dist/operator/src/api/v1alpha1/generate-crd.js
import { writeFileSync } from 'node:fs';
import { componentsTemplate } from '../../chart/components-template.js';
import { valuesJsonSchema } from '../../chart/values.schema.js';
import { crdTemplate } from './crd.js';

export const CRD_TEMPLATE_PATH = 'charts/glider/templates/crds/xmppclusters.glider.im.yaml';
export const VALUES_SCHEMA_PATH = 'charts/glider/values.schema.json';
export const COMPONENTS_TEMPLATE_PATH = 'charts/glider/templates/_components.tpl';

export const valuesSchemaText = (): string => JSON.stringify(valuesJsonSchema(), null, 2) + '\n';

if (process.argv[1]?.endsWith('generate-crd.js')) {
  writeFileSync(CRD_TEMPLATE_PATH, crdTemplate());
  writeFileSync(VALUES_SCHEMA_PATH, valuesSchemaText());
  writeFileSync(COMPONENTS_TEMPLATE_PATH, componentsTemplate());
  console.log(`wrote ${CRD_TEMPLATE_PATH}, ${VALUES_SCHEMA_PATH} and ${COMPONENTS_TEMPLATE_PATH}`);
}
