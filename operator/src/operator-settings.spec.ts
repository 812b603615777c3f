import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { builtVersion, operatorSettings } from './operator-settings.js';

const pkgVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const main = fileURLToPath(new URL('./main.js', import.meta.url));

describe('operator settings', () => {
  it('defaults the app image to the tag `npm run image` builds: the version the operator was built from', () => {
    assert.equal(builtVersion(), pkgVersion);
    assert.deepEqual(operatorSettings({}).image, { repository: 'ghcr.io/glider-im/glider', tag: pkgVersion });
    assert.deepEqual(operatorSettings({ APP_IMAGE_REPOSITORY: 'r.example/g', APP_IMAGE_TAG: '1.2.3' }).image, { repository: 'r.example/g', tag: '1.2.3' });
    // The chart sets APP_IMAGE_TAG to "" when neither appImage.tag nor appVersion is given.
    assert.equal(operatorSettings({ APP_IMAGE_TAG: '' }).image.tag, pkgVersion);
  });

  it('refuses a bad number with the variable named', () => {
    assert.throws(() => operatorSettings({ WORKERS: 'two' }), /WORKERS must be a non-negative integer, got "two"/);
  });

  it('main.js answers --help and --version without a cluster, and refuses an unknown argument', () => {
    const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 20_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^glider-operator ${pkgVersion.replaceAll('.', '\\.')}: reconciles XmppCluster`));
    assert.match(help.stdout, /KUBECONFIG/);
    const version = spawnSync(process.execPath, [main, '--version'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(version.stdout.trim(), pkgVersion);
    const bad = spawnSync(process.execPath, [main, '--kubeconfig=x'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument --kubeconfig=x/);
  });
});
