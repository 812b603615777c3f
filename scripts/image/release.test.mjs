// The release workflow's steps (release.mjs), against a registry of our own on loopback: crane's
// (`crane registry serve`), so CI runs the path a tag takes, up to the registry.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crane, root } from './tools.mjs';

const release = (...args) =>
  execFileSync(process.execPath, [join(root, 'scripts/image/release.mjs'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const built = existsSync(join(root, 'dist/images/images.json'));

describe(
  'release steps against a registry on loopback',
  { skip: !built && 'dist/images/images.json missing: run npm run image first', timeout: 120_000 },
  () => {
    let registry;
    let host;
    before(async () => {
      registry = spawn(crane(), ['registry', 'serve', '--address', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      host = await new Promise((resolve, reject) => {
        let err = '';
        registry.stderr.on('data', (d) => {
          err += String(d);
          const m = /serving on port (\d+)/.exec(err);
          if (m) resolve(`127.0.0.1:${m[1]}`);
        });
        registry.on('exit', (code) => reject(new Error(`crane registry serve exited ${code}: ${err}`)));
      });
    });
    after(() => registry?.kill('SIGTERM'));

    it('check: the tag must be v<version>, as package.json and Chart.yaml say', () => {
      assert.match(release('check', `v${version}`), new RegExp(`v${version.replaceAll('.', '\\.')}: package\\.json, Chart\\.yaml and the tag agree`));
      assert.throws(() => release('check', 'v0.0.0-not-this'), /the tag and the versions must agree/);
    });

    it('push: each image lands with the digest that was built, config and labels intact', () => {
      const images = JSON.parse(readFileSync(join(root, 'dist/images/images.json'), 'utf8'));
      const pushed = release('push', '--registry', `${host}/glider-im`).trim().split('\n');
      assert.equal(pushed.length, images.length);
      for (const img of images) {
        const name = img.ref.split('/').pop().split(':')[0];
        const digest = img.digestRef.split('@')[1];
        assert.ok(pushed.includes(`${host}/glider-im/${name}@${digest}`), `${name}: ${pushed.join(', ')}`);
        assert.equal(execFileSync(crane(), ['digest', `${host}/glider-im/${img.ref.split('/').pop()}`], { encoding: 'utf8' }).trim(), digest);
        const config = JSON.parse(execFileSync(crane(), ['config', `${host}/glider-im/${name}@${digest}`], { encoding: 'utf8' }));
        assert.equal(config.config.User, '10001:10001');
        assert.equal(config.config.Labels['org.opencontainers.image.version'], img.ref.split(':').pop());
      }
    });

    it('chart: helm package + helm push to the OCI registry, then helm reads it back', () => {
      const ref = release('chart', '--registry', `oci://${host}/charts`, '--plain-http').trim();
      assert.equal(ref, `oci://${host}/charts/glider:${version}`);
      const helm = process.env.HELM || execFileSync('sh', ['-c', 'command -v helm || echo "$(go env GOPATH)/bin/helm"'], { encoding: 'utf8' }).trim();
      const shown = execFileSync(helm, ['show', 'chart', `oci://${host}/charts/glider`, '--version', version, '--plain-http'], { encoding: 'utf8' });
      assert.match(shown, new RegExp(`^appVersion: "?${version.replaceAll('.', '\\.')}"?$`, 'm'));
    });
  },
);
