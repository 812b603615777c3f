// Writes the chart's CRD template from the TypeScript schema: node dist/operator/src/api/v1alpha1/generate-crd.js
import { writeFileSync } from 'node:fs';
import { crdTemplate } from './crd.js';

export const CRD_TEMPLATE_PATH = 'charts/glider/templates/crds/xmppclusters.glider.im.yaml';

if (process.argv[1]?.endsWith('generate-crd.js')) {
  writeFileSync(CRD_TEMPLATE_PATH, crdTemplate());
  console.log(`wrote ${CRD_TEMPLATE_PATH}`);
}
