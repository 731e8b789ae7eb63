import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const FIXTURE = join(ROOT, 'test/fixtures/dependency-rules');

/** Cruises src, lambdas and infra under `baseDir` with the project's rules, as `npm run lint` does. */
async function cruiseTree(baseDir: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(CONFIG);
  const { output } = await cruise(['src', 'lambdas', 'infra'], { ...options, baseDir });
  return output as ICruiseResult;
}

const describeViolation = (v: IViolation) => `${v.rule.name}: ${v.from} → ${v.to}`;

/** A package is named by its node_modules segment: the fixture resolves it from the repository's node_modules. */
const sameModule = (actual: string, expected: string) => actual === expected || actual.includes(`/${expected}`);

/** [rule, from, to]: each forbidden import in the fixture, and the rule that must report it. */
const CAUGHT: [string, string, string][] = [
  ['core-imports-nothing-of-ours', 'src/core/imports-redis.ts', 'src/redis/resp.ts'],
  ['core-uses-pure-libraries-only', 'src/core/imports-ioredis.ts', 'node_modules/ioredis/'],
  ['core-does-no-io', 'src/core/reads-files.ts', 'fs'],
  ['adapters-import-core-only', 'src/checkpoint/imports-redis.ts', 'src/redis/resp.ts'],
  ['state-path-never-reaches-data-path', 'src/checkpoint/imports-redis.ts', 'src/redis/resp.ts'],
  ['rdb-s3-imports-rdb-and-core-only', 'src/rdb-s3/uses-redis.ts', 'src/redis/resp.ts'],
  ['struct-imports-core-and-redis-only', 'src/struct/saves-progress.ts', 'src/checkpoint/store.ts'],
  ['data-path-never-reaches-state-path', 'src/struct/saves-progress.ts', 'node_modules/@aws-sdk/client-dynamodb/'],
  ['rdb-imports-core-and-pure-helpers-only', 'src/rdb/walks-redis.ts', 'src/redis/resp.ts'],
  ['rdb-uses-no-packages', 'src/rdb/walks-redis.ts', 'node_modules/ioredis/'],
  ['cloud-imports-core-only', 'src/cloud/verify-outcome.ts', 'src/verify/report.ts'],
  ['verify-imports-core-redis-and-struct-only', 'src/verify/report.ts', 'src/cli/format.ts'],
  ['nothing-imports-an-entry-point', 'src/verify/report.ts', 'src/cli/format.ts'],
  ['verify-imports-core-redis-and-struct-only', 'src/verify/check.ts', 'src/runner/plan-units.ts'],
  ['no-circular-folders', 'src/verify', 'src/runner'],
  ['runner-imports-engine-only', 'src/runner/uses-store.ts', 'src/checkpoint/store.ts'],
  ['cli-and-lambdas-are-separate', 'lambdas/imports-cli.ts', 'src/cli/format.ts'],
  ['cli-and-lambdas-are-separate', 'src/cli/imports-lambda.ts', 'lambdas/handler.ts'],
  ['aws-sdk-in-checkpoint-and-entry-points-only', 'src/cloud/uses-sdk.ts', 'node_modules/@aws-sdk/client-dynamodb/'],
  ['runtime-never-loads-the-cdk', 'src/cloud/uses-cdk.ts', 'node_modules/aws-cdk-lib/'],
  ['runtime-never-loads-the-cdk', 'lambdas/imports-infra.ts', 'infra/stack.ts'],
  ['infra-loads-no-runtime-code', 'infra/loads-store.ts', 'src/checkpoint/store.ts'],
  ['shared-constants-import-nothing', 'src/checkpoint/table-keys.ts', 'src/core/contracts.ts'],
  ['no-circular', 'src/redis/ping.ts', 'src/redis/pong.ts'],
  ['not-to-unresolvable', 'src/cli/typo.ts', './missing.js'],
];

/** Fixture modules whose imports the rules allow: none of them may be reported. */
const ALLOWED = [
  'src/core/contracts.ts',
  'src/redis/resp.ts',
  'src/redis/key-source.ts',
  'src/checkpoint/store.ts',
  'src/rdb-s3/s3-source.ts',
  'src/cli/format.ts',
  'src/cli/command.ts',
  'src/cli/command-props.ts',
  'src/runner/run.ts',
  'src/runner/plan-units.ts',
  'src/rdb/reads-file.ts',
  'lambdas/handler.ts',
  'infra/stack.ts',
];

describe('Dependency rules (.dependency-cruiser.cjs)', () => {
  describe('on the repository', () => {
    it('finds no violation in src, lambdas and infra', async () => {
      // Act
      const result = await cruiseTree(ROOT);
      // Assess
      const cruised = result.modules.map((m) => m.source);
      for (const module of ['src/core/contracts.ts', 'src/cli/main.ts', 'lambdas/copy.ts', 'infra/app.ts']) {
        assert.ok(cruised.includes(module), `${module} was not cruised`);
      }
      assert.deepEqual(result.summary.violations.map(describeViolation), []);
    });
  });

  describe('on a fixture tree with forbidden imports', () => {
    let result: ICruiseResult;
    before(async () => {
      result = await cruiseTree(FIXTURE);
    });

    for (const [rule, from, to] of CAUGHT) {
      it(`reports ${from} → ${to} under ${rule}`, () => {
        const found = result.summary.violations.some((v) => v.rule.name === rule && v.from === from && sameModule(v.to, to));
        assert.ok(found, `not reported; reported: ${result.summary.violations.map(describeViolation).join('; ')}`);
      });
    }

    it('exercises every rule of the config', async () => {
      // Prepare
      const options = await extractDepcruiseOptions(CONFIG);
      const rules = (options.ruleSet?.forbidden ?? []).map((rule) => rule.name);
      // Assess
      assert.ok(rules.length > 0);
      assert.deepEqual([...new Set(CAUGHT.map(([rule]) => rule))].sort(), [...rules].sort());
    });

    it('lets the allowed imports through', () => {
      const reported = result.summary.violations.filter((v) => ALLOWED.includes(v.from)).map(describeViolation);
      assert.deepEqual(reported, []);
      const cruised = new Set(result.modules.map((m) => m.source));
      for (const module of ALLOWED) assert.ok(cruised.has(module), `${module} was not cruised`);
    });

    it('allows a type-only import from infra, and a cycle closed by a type-only import', () => {
      // Assess: the edges exist and are seen as type-only (so the rules judged them), yet nothing is reported.
      const edge = (from: string, to: string) => result.modules.find((m) => m.source === from)?.dependencies.find((d) => d.resolved === to);
      assert.ok(edge('infra/stack.ts', 'src/checkpoint/store.ts')?.dependencyTypes.includes('type-only'));
      const backEdge = edge('src/cli/command-props.ts', 'src/cli/command.ts');
      assert.ok(backEdge?.dependencyTypes.includes('type-only'));
      assert.equal(backEdge?.circular, true);
    });
  });
});
