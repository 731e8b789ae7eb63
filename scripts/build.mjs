// Bundles the CLI into dist/redis-ferry.mjs (dependencies stay external: npm installs them) and
// type-checks the whole project. The Lambda bundles are built by CDK's NodejsFunction instead.

import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

execFileSync('npx', ['tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/redis-ferry.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
console.log('built dist/redis-ferry.mjs');
