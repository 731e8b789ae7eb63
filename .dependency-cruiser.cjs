/**
 * The direction of imports (`npm run lint` checks it; test/unit/dependency-rules.test.ts proves the
 * rules catch what they should). In one line:
 *
 *   core ← adapters (redis, checkpoint, config) ← struct ← verify ← runner ← entry points (src/cli, lambdas/)
 *
 * with struct and verify on core and redis only, src/cloud beside the adapters (on core only), and
 * infra/ loading constants and types only. The Redis data path and the checkpoint state path never
 * reach each other.
 * Each rule says why it exists; paths are relative to the repository root. npm packages are matched
 * by a `node_modules/<name>/` segment anywhere in the path, so the rules hold from a linked
 * node_modules or a fixture tree too.
 */

/** Our own code: a dependency into one of these folders is "ours". */
const OURS = '^(src|lambdas|infra)/';
/** Any npm package's files, or one package's (npm('zod')). */
const NPM = '(^|/)node_modules/';
const npm = (name) => `${NPM}${name}/`;

/** The Redis data path: the Redis adapters, the by-type copy, and the Redis client libraries. */
const DATA_PATH = ['^src/redis/', '^src/struct/', npm('ioredis'), npm('redis-parser'), npm('redis-errors')];
/** The checkpoint state path: the stores, and the AWS SDK they use. */
const STATE_PATH = ['^src/checkpoint/', npm('@aws-sdk/[^/]+')];

/**
 * Constants the CDK app and the runtime must agree on. They import nothing (rule
 * shared-constants-import-nothing), so loading one loads no runtime code.
 */
const SHARED_CONSTANTS = ['^src/cloud/deploy-names\\.ts$', '^src/checkpoint/table-keys\\.ts$'];

/** Every kind of npm dependency dependency-cruiser tells apart. */
const NPM_TYPES = ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-of-ours',
      comment:
        'src/core is the engine (config, errors, contracts, the copy loop). It talks to Redis and to checkpoint ' +
        'storage through the interfaces in core/contracts.ts only, so every adapter plugs into it and it can be ' +
        'tested with fakes. Anything it needs from elsewhere belongs in core.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: OURS, pathNot: '^src/core/' },
    },
    {
      name: 'core-uses-pure-libraries-only',
      comment:
        'core stays pure: no I/O, no clients, no SDK. Of npm it may use zod (validation) and nothing else; add a ' +
        'library here only if it does no I/O and keeps no global state.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: NPM_TYPES, pathNot: npm('zod') },
    },
    {
      name: 'core-does-no-io',
      comment: 'core reads no files, opens no sockets and starts no processes: the adapters do, behind the core interfaces.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|net|tls|http|https|http2|dgram|dns|child_process|cluster|worker_threads|readline)$',
      },
    },
    {
      name: 'adapters-import-core-only',
      comment:
        'redis (the data path), checkpoint (the state path, the only place with the AWS SDK) and config (the ' +
        'config file reader) each implement one side of core, and know nothing of each other: a store never ' +
        'opens Redis, a Redis adapter never writes a checkpoint.',
      severity: 'error',
      from: { path: '^src/(redis|checkpoint|config)/' },
      to: { path: OURS, pathNot: ['^src/core/', '^src/$1/'] },
    },
    {
      name: 'cloud-imports-core-only',
      comment:
        'src/cloud holds what the cloud entry points share: the execution input schema, the Lambda settings, the ' +
        'verify outcome, task error handling. It sits beside the adapters (on core only, no SDK, no Redis; the ' +
        'S3 URI check of src/rdb-s3, which loads no SDK, validates a restore\'s rdb.s3Uri), for ' +
        'three reasons: the CDK app loads parts of it at synth time, the CLI `start` command builds the ' +
        'execution input with it, and the handlers in lambdas/ wire it to the adapters themselves.',
      severity: 'error',
      from: { path: '^src/cloud/' },
      to: { path: OURS, pathNot: ['^src/core/', '^src/cloud/', '^src/rdb-s3/s3-(uri|errors)\\.ts$'] },
    },
    {
      name: 'rdb-s3-imports-rdb-and-core-only',
      comment:
        'src/rdb-s3 is the RDB reader\'s S3 byte source: it reads an object with ranged GETs for the reader in ' +
        'src/rdb, on core\'s errors and backoff. It knows no Redis, no checkpoint store and no runner: the entry ' +
        'points hand the source it makes to the restore.',
      severity: 'error',
      from: { path: '^src/rdb-s3/' },
      to: { path: OURS, pathNot: ['^src/core/', '^src/rdb/', '^src/rdb-s3/'] },
    },
    {
      name: 'struct-imports-core-and-redis-only',
      comment: 'The by-type copy of big keys reads and writes Redis (src/redis) for the copy loop in core; it verifies nothing.',
      severity: 'error',
      from: { path: '^src/struct/' },
      to: { path: OURS, pathNot: ['^src/core/', '^src/redis/', '^src/struct/'] },
    },
    {
      name: 'rdb-imports-core-and-pure-helpers-only',
      comment:
        'src/rdb reads RDB files over any ByteSource: pure parsing, so the same reader serves the CLI (local ' +
        'file) and Lambda (S3, whose source lives in src/rdb-s3). Of ours it uses core (errors) and the two pure ' +
        'DUMP helpers of src/struct (crc64.ts, dump-version.ts), nothing that reaches Redis or a store.',
      severity: 'error',
      from: { path: '^src/rdb/' },
      to: { path: OURS, pathNot: ['^src/core/', '^src/rdb/', '^src/struct/crc64\\.ts$', '^src/struct/dump-version\\.ts$'] },
    },
    {
      name: 'rdb-uses-no-packages',
      comment:
        'The RDB reader has no npm dependency: no Redis client, no AWS SDK (the S3 byte source is src/rdb-s3), ' +
        'and its own LZF decoder (see src/rdb/lzf.ts for why not lzfjs). Node built-ins only.',
      severity: 'error',
      from: { path: '^src/rdb/' },
      to: { dependencyTypes: NPM_TYPES },
    },
    {
      name: 'verify-imports-core-redis-and-struct-only',
      comment:
        'Verification compares source and target over src/redis. It also uses src/struct, one way only: a big ' +
        'key is compared by type, chunk by chunk, with the by-type copy\'s size probe and stream reader ' +
        '(size-probe.ts, read-stream.ts), so verifying holds no more memory than copying; the copy\'s temporary ' +
        'keys are recognised (temp-key.ts), not reported as extra; and both take the same RedisClient type.',
      severity: 'error',
      from: { path: '^src/verify/' },
      to: { path: OURS, pathNot: ['^src/core/', '^src/redis/', '^src/struct/', '^src/verify/'] },
    },
    {
      name: 'runner-imports-engine-only',
      comment:
        'The runner composes core, redis, struct, verify and the RDB reader into a migration or a restore. It gets its CheckpointStore ' +
        '(file, memory or DynamoDB) from the entry point through the core contract, so it never imports a store, ' +
        'the config file reader, cloud helpers or an entry point.',
      severity: 'error',
      from: { path: '^src/runner/' },
      to: { path: OURS, pathNot: ['^src/core/', '^src/redis/', '^src/struct/', '^src/verify/', '^src/rdb/', '^src/runner/'] },
    },
    {
      name: 'cli-and-lambdas-are-separate',
      comment:
        'src/cli and lambdas/ are the two entry points: each is bundled on its own (dist/ and one bundle per ' +
        'Lambda), so neither may pull in the other. What both need belongs in src/.',
      severity: 'error',
      from: { path: '^(src/cli|lambdas)/' },
      to: { path: '^(src/cli|lambdas)/', pathNot: '^$1/' },
    },
    {
      name: 'nothing-imports-an-entry-point',
      comment: 'Entry points sit on top: code under src/ (other than the CLI itself) never imports src/cli or lambdas/.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^(src/cli|lambdas)/' },
    },
    {
      name: 'aws-sdk-in-checkpoint-and-entry-points-only',
      comment:
        'The AWS SDK is the checkpoint state path\'s (src/checkpoint), the S3 byte source\'s (src/rdb-s3: a restore ' +
        'reads its RDB from S3) and the entry points\' (the CLI starts and reads executions, the handlers read ' +
        'secrets). Anywhere else it would ride into the local copy path and into modules the CDK app loads.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(checkpoint|cli|rdb-s3)/' },
      to: { path: npm('@aws-sdk/[^/]+') },
    },
    {
      name: 'runtime-never-loads-the-cdk',
      comment:
        'infra/ and the CDK libraries describe the deployment; the CLI and the Lambda bundles must not carry ' +
        'them, so nothing under src/ or lambdas/ imports infra/, aws-cdk-lib, constructs or cdk-nag.',
      severity: 'error',
      from: { path: '^(src|lambdas)/' },
      to: { path: ['^infra/', npm('aws-cdk-lib'), npm('constructs'), npm('cdk-nag')] },
    },
    {
      name: 'infra-loads-no-runtime-code',
      comment:
        'The CDK app (infra/) describes the deployment; it must not load the runtime (Redis clients, the AWS SDK ' +
        'stores, the CLI). It may import types from anywhere (erased at build), the shared constants, ConfigError, ' +
        'and one piece of runtime on purpose: parseCloudConfig (src/cloud/execution-input.ts, which reaches core ' +
        'and zod only, by cloud-imports-core-only), so a scheduled migration with a bad config fails `cdk synth` ' +
        'with the messages the plan Lambda would give, instead of failing its first run; and the S3 URI checks ' +
        '(src/rdb-s3/s3-uri.ts and its errors, no SDK), so a bad snapshot bucket name fails the synth the same way.',
      severity: 'error',
      from: { path: '^infra/' },
      to: {
        path: OURS,
        pathNot: [
          '^infra/',
          ...SHARED_CONSTANTS,
          '^src/cloud/execution-input\\.ts$',
          '^src/core/errors\\.ts$',
          '^src/rdb-s3/s3-(uri|errors)\\.ts$',
        ],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'shared-constants-import-nothing',
      comment: 'A shared-constants module is loaded by the CDK app and the runtime alike, so it imports nothing (types aside).',
      severity: 'error',
      from: { path: SHARED_CONSTANTS },
      to: { dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'data-path-never-reaches-state-path',
      comment:
        'The Redis data path (src/redis, src/struct, ioredis) and the checkpoint state path (src/checkpoint, the ' +
        'AWS SDK) meet only in core\'s contracts: the copy loop takes a KeySource, a KeySink and a CheckpointStore. ' +
        'Keeping them apart keeps the AWS SDK out of the CLI\'s copy path and Redis out of the stores.',
      severity: 'error',
      from: { path: ['^src/redis/', '^src/struct/'] },
      to: { path: STATE_PATH, reachable: true },
    },
    {
      name: 'state-path-never-reaches-data-path',
      comment: 'The other half of data-path-never-reaches-state-path: a store reaches neither Redis nor verify/runner code.',
      severity: 'error',
      from: { path: '^src/checkpoint/' },
      to: { path: [...DATA_PATH, '^src/verify/', '^src/runner/'], reachable: true },
    },
    {
      name: 'no-circular',
      comment:
        'A module cycle has no bottom to load or test first; break it by moving the shared part down. A cycle ' +
        'with an `import type` link (a construct and its props file naming each other) is erased at build, loads ' +
        'in a definite order, and is allowed.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-folders',
      comment: 'A cycle between folders means two layers lean on each other: the shared part belongs in the lower one.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency; the direction rules cannot judge it.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: NPM },
    // Sees `import type` (reported as type-only), which the infra rule allows.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
