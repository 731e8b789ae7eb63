import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, MigrationError } from '../core/errors.js';

/** A cloud assembly synthesized into a temporary directory, removed by cleanup() (synchronous: a Ctrl-C handler may call it). */
export interface TempAssembly {
  outdir: string;
  cleanup(): void;
}

/**
 * Runs `cdk synth` in the checkout `projectDir` (its cdk.json: the app and the deploy settings,
 * plus `context` as `-c KEY=VALUE`) into a fresh temporary directory. HOME points into that
 * directory too: aws-cdk-lib keeps a fingerprint cache under ~/.cdk, and a throwaway synth should
 * leave nothing behind.
 */
export async function synthToTemp(projectDir: string, context: Record<string, string> = {}): Promise<TempAssembly> {
  const cdk = join(projectDir, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  if (!existsSync(cdk)) throw new ConfigError([`${projectDir} has no node_modules/aws-cdk: run \`npm ci\` there first`]);
  const dir = await mkdtemp(join(tmpdir(), 'redis-ferry-synth-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const outdir = join(dir, 'cdk.out');
    const home = join(dir, 'home');
    await mkdir(home);
    const args = [
      cdk,
      'synth',
      '--quiet',
      '--no-notices',
      '-o',
      outdir,
      ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const env = { ...process.env, HOME: home, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' };
    const { code, output } = await run(process.execPath, args, projectDir, env);
    if (code !== 0) throw new MigrationError(`cdk synth failed (exit ${code}): ${synthError(output)}`);
    return { outdir, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** What the synth's output says went wrong: the app's error (with its detail lines), else its last lines. */
function synthError(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const start = lines.findIndex((l) => /^[A-Za-z]*Error\b[^:]*:/.test(l));
  if (start < 0) return lines.slice(-5).join(' | ');
  const end = lines.findIndex((l, i) => i > start && (/^at /.test(l) || /Subprocess exited/.test(l)));
  return lines.slice(start, end < 0 ? start + 5 : Math.min(end, start + 8)).join(' ');
}
