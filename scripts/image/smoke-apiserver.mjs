// The smoke test's Kubernetes API for the operator image: the operator's API server emulator
// (dist/operator/src/testing, over TLS) with the XmppCluster CRD, run in the operator container's
// network namespace. Writes the kubeconfig to argv[2], creates XmppCluster `smoke`, then prints one
// JSON line per event: {"listening":url}, {"deployment":name,"image":...} when the operator made
// the edge Deployment. Runs until SIGTERM.
import { writeFileSync } from 'node:fs';
import { NS, TestCluster, clustersPath, sampleCluster, waitFor } from '../../dist/operator/src/testing/harness.js';

const [kubeconfigFile] = process.argv.slice(2);
const k = await new TestCluster({ tls: true }).start();
writeFileSync(kubeconfigFile, k.api.kubeconfig(NS), { mode: 0o644 });
console.log(JSON.stringify({ listening: k.api.url }));
process.on('SIGTERM', () => void k.stop().then(() => process.exit(0)));
const created = await k.request('POST', clustersPath, sampleCluster('smoke'));
if (created.code !== 201) throw new Error(`creating XmppCluster smoke: ${created.code} ${JSON.stringify(created.body)}`);
const d = await waitFor('the operator to create Deployment smoke-edge', () => k.get('deployments', 'smoke-edge', 'apps/v1'), 60_000);
console.log(JSON.stringify({ deployment: d.metadata.name, image: d.spec.template.spec.containers[0].image }));
