import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../../infra/constructs/migrator-function.js';

const outdir = mkdtempSync(join(tmpdir(), 'redis-ferry-synth-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes the app offline, without AWS credentials, with cdk-nag passing', () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[key];
    const result = spawnSync('npx', ['cdk', 'synth', '-q', '--no-notices', '-o', outdir], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(result.status, 0, `cdk synth failed:\n${result.stdout}\n${result.stderr}`);
    const template = JSON.parse(readFileSync(join(outdir, 'RedisFerry.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    for (const type of ['AWS::DynamoDB::Table', 'AWS::StepFunctions::StateMachine', 'AWS::Lambda::Function'])
      assert.ok(types.includes(type), type);
    // Written whenever validation plugins run (the app registers cdk-nag's AwsSolutions checks).
    const reportFile = join(outdir, 'validation-report.json');
    assert.ok(existsSync(reportFile), `cdk synth wrote no ${reportFile}: no validation plugin ran`);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string }[] }[];
    };
    const failures = report.pluginReports.filter((r) => r.conclusion !== 'success' || r.violations.length > 0);
    assert.deepEqual(
      failures.map((r) => `${r.pluginName}: ${r.violations.map((v) => v.ruleName).join(', ')}`),
      [],
      'validation findings',
    );
  });
});
