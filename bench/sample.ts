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
  /** Time spent inside each command during the run (INFO commandstats), summed per side. */
  commandUsec?: { source: CommandTimes; target: CommandTimes };
}

/** Command name (as INFO commandstats spells it, e.g. `memory|usage`) → calls and µs inside it. */
export type CommandTimes = Record<string, { calls: number; usec: number }>;

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

async function commandTimes(clients: Redis[]): Promise<CommandTimes> {
  const out: CommandTimes = {};
  for (const info of await Promise.all(clients.map((c) => c.info('commandstats')))) {
    for (const m of info.matchAll(/^cmdstat_(\S+):calls=(\d+),usec=(\d+)/gm)) {
      const entry = out[m[1]!] ?? { calls: 0, usec: 0 };
      entry.calls += Number(m[2]);
      entry.usec += Number(m[3]);
      out[m[1]!] = entry;
    }
  }
  return out;
}

function minus(after: CommandTimes, before: CommandTimes): CommandTimes {
  const out: CommandTimes = {};
  for (const [name, { calls, usec }] of Object.entries(after)) {
    const d = { calls: calls - (before[name]?.calls ?? 0), usec: usec - (before[name]?.usec ?? 0) };
    if (d.calls > 0) out[name] = d;
  }
  return out;
}

/**
 * Adds the servers' CPU during `run` to its sample, and the time inside each command (which,
 * against the CPU, shows how much goes to reading requests and writing replies instead). On a small machine the source, the target and
 * the client share the cores, so this shows which of them a row is waiting for.
 */
export async function withServerCpu(sides: ServerSides | undefined, run: () => Promise<RunSample>): Promise<RunSample> {
  if (!sides) return run();
  const commandsBefore = await Promise.all([commandTimes(sides.source), commandTimes(sides.target)]);
  const before = await Promise.all([serverCpuMs(sides.source), serverCpuMs(sides.target)]);
  const sample = await run();
  const after = await Promise.all([serverCpuMs(sides.source), serverCpuMs(sides.target)]);
  const commandsAfter = await Promise.all([commandTimes(sides.source), commandTimes(sides.target)]);
  return {
    ...sample,
    serverCpuMs: { source: after[0] - before[0], target: after[1] - before[1] },
    commandUsec: { source: minus(commandsAfter[0], commandsBefore[0]), target: minus(commandsAfter[1], commandsBefore[1]) },
  };
}
