import type { Redis } from 'ioredis';

/** One timed repetition of a scenario. */
export interface RunSample {
  /** Keys that reached the target (or were read, for read-only scenarios). */
  keys: number;
  /** DUMP payload bytes moved: the same unit for every scenario, so MB/s compare. */
  bytes: number;
  /** Time the scenario's own clock measured (see each scenario for what is included). */
  ms: number;
  /** CPU (user + system) of the client doing the work, when it can be measured. */
  cpuMs?: number;
  /** Peak resident set size of the client process (redis-ferry rows). */
  rssMb?: number;
  /** Wall time of the child process, start-up included (redis-ferry rows). */
  wallMs?: number;
  /** CPU the redis-server processes used during the run (INFO cpu), summed per side. */
  serverCpuMs?: { source: number; target: number };
}

/** Runs `fn` in this process and measures its wall time and this process's CPU time. */
export async function measureInProcess(fn: () => Promise<{ keys: number; bytes: number }>): Promise<RunSample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { keys, bytes } = await fn();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { keys, bytes, ms, cpuMs: (used.user + used.system) / 1000 };
}

/** The servers of a scenario, to read their CPU time (INFO cpu) around each run. */
export interface ServerSides {
  source: Redis[];
  target: Redis[];
}

async function serverCpuMs(clients: Redis[]): Promise<number> {
  const infos = await Promise.all(clients.map((c) => c.info('cpu')));
  return infos.reduce((sum, info) => {
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return sum + (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  }, 0);
}

/**
 * Adds the servers' CPU during `run` to its sample. On a small machine the source, the target and
 * the client share the cores, so this shows which of them a row is waiting for.
 */
export async function withServerCpu(sides: ServerSides | undefined, run: () => Promise<RunSample>): Promise<RunSample> {
  if (!sides) return run();
  const before = await Promise.all([serverCpuMs(sides.source), serverCpuMs(sides.target)]);
  const sample = await run();
  const after = await Promise.all([serverCpuMs(sides.source), serverCpuMs(sides.target)]);
  return { ...sample, serverCpuMs: { source: after[0] - before[0], target: after[1] - before[1] } };
}
