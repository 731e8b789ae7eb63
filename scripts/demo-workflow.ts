/**
 * `npm run demo:workflow`: the serverless workflow, run on one machine. Starts a throwaway source
 * (a 3-master cluster with a replica each) and target (a 2-master cluster), fills the source, then
 * runs `redis-ferry rehearse`: `cdk synth` into a temporary directory, and the synthesized state
 * machine run locally over the Lambda bundles with DynamoDB (dynalite) and Secrets Manager served
 * in-process. Short slices (150-300 ms, 3 per unit per round, batches of 200 keys) make the loop and
 * its rounds visible.
 * Everything it starts is stopped and everything it writes is removed. `--assembly DIR` runs a
 * cloud assembly synthesized beforehand with DEMO_CONTEXT instead (the test does, to synthesize once).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedMixedDataset, seedStrings } from '../test/fixtures/mixed-dataset.js';
import { type RedisCluster, startCluster, stopAll } from '../test/helpers/index.js';
import { seedingView } from '../test/integration/topology-support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_PASSWORD = 'demo-source-pw';
const TARGET_PASSWORD = 'demo-target-pw';
// Secret ARNs as the execution input names them; rehearse answers them from the environment.
export const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-ferry/demo-source-AbCdEf';
export const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-ferry/demo-target-GhIjKl';
/** The deploy settings of the demo's synth: short slices, few per round, the demo's secrets granted. */
export const DEMO_CONTEXT = {
  'redis-ferry:stackName': 'RedisFerryDemo',
  'redis-ferry:secretArns': `${SOURCE_SECRET},${TARGET_SECRET}`,
  'redis-ferry:copyTimeBudgetMs': '150',
  'redis-ferry:verifyTimeBudgetMs': '300',
  'redis-ferry:maxSlicesPerUnitExecution': '3',
  'redis-ferry:maxConcurrency': '3',
};

async function keysIn(cluster: RedisCluster): Promise<number> {
  const sizes = await Promise.all(cluster.masters.map((m) => m.client().dbsize()));
  return sizes.reduce((a, b) => a + b, 0);
}

function rehearse(inputFile: string, assembly: string | undefined): Promise<number> {
  const settings = assembly ? ['--assembly', assembly] : Object.entries(DEMO_CONTEXT).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const args = ['rehearse', inputFile, ...settings];
  console.log(`$ REDIS_FERRY_SOURCE_PASSWORD=… REDIS_FERRY_TARGET_PASSWORD=… redis-ferry ${args.join(' ')}\n`);
  return new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, REDIS_FERRY_SOURCE_PASSWORD: SOURCE_PASSWORD, REDIS_FERRY_TARGET_PASSWORD: TARGET_PASSWORD },
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function main(assembly: string | undefined): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'redis-ferry-demo-workflow-'));
  console.log('Starting a source cluster (3 masters, a replica each) and a target cluster (2 masters) on free loopback ports…');
  let source: RedisCluster | undefined;
  let target: RedisCluster | undefined;
  try {
    [source, target] = await Promise.all([
      startCluster({ masters: 3, replicasPerMaster: 1, password: SOURCE_PASSWORD }),
      startCluster({ masters: 2, password: TARGET_PASSWORD }),
    ]);
    const seeder = seedingView(source.client());
    await seedMixedDataset(seeder, { perType: 20 });
    await seedStrings(seeder, 12_000, 'session:');
    await source.waitHealthy(); // the replicas have caught up: the copy reads from them
    const sourceKeys = await keysIn(source);
    console.log(`Source ${source.seed.address}: ${sourceKeys} keys of every type (20% with a TTL), read from the replicas.\n`);

    const input = {
      migrationId: 'demo',
      config: {
        source: { addresses: [source.seed.address], passwordSecretArn: SOURCE_SECRET, preferReplica: true },
        target: { addresses: [target.seed.address], passwordSecretArn: TARGET_SECRET },
        scan: { count: 200 },
        verify: 'full',
      },
    };
    const inputFile = join(work, 'input.json');
    await writeFile(inputFile, `${JSON.stringify(input, null, 2)}\n`);
    const fields = Object.entries(input.config).map(([k, v]) => `    "${k}": ${JSON.stringify(v)}`);
    console.log(`Execution input (${inputFile}):\n{ "migrationId": "demo",\n  "config": {\n${fields.join(',\n')} } }\n`);
    const code = await rehearse(inputFile, assembly);
    const targetKeys = await keysIn(target);
    console.log(`\nTarget ${target.seed.address}: ${targetKeys} keys over 2 masters (source: ${sourceKeys} over 3).`);
    console.log(code === 0 ? 'Demo passed: the workflow copied and verified every key.' : `Demo FAILED: rehearse exited with ${code}.`);
    return code === 0 && targetKeys === sourceKeys ? 0 : 1;
  } finally {
    await Promise.all([source?.stop(), target?.stop()]);
    await stopAll();
    await rm(work, { recursive: true, force: true });
    console.log('Servers stopped, temporary files removed.');
  }
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--assembly');
  process.exitCode = await main(at > 0 ? process.argv[at + 1] : undefined);
}
