// Bundles the CLI into dist/redis-ferry.mjs (dependencies stay external: npm installs them) and
// type-checks the whole project. The Lambda bundles are built by CDK's NodejsFunction instead.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

execFileSync('npx', ['tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
const result = await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/redis-ferry.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

// The published package installs `dependencies` only: a package the bundle imports when it loads
// must be one of them. devDependencies (the local workflow of `rehearse`) may only be loaded on use.
const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8'));
const packageOf = (path) =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');
const loadedAtStart = Object.values(result.metafile.outputs)
  .flatMap((output) => output.imports)
  .filter((i) => i.external && i.kind === 'import-statement' && !i.path.startsWith('node:') && !builtinModules.includes(i.path))
  .map((i) => packageOf(i.path));
const missing = [...new Set(loadedAtStart)].filter((name) => !(name in dependencies));
if (missing.length > 0) {
  console.error(`dist/redis-ferry.mjs imports ${missing.join(', ')} at startup, which is not in "dependencies": load it on use (import())`);
  process.exit(1);
}
console.log('built dist/redis-ferry.mjs');
