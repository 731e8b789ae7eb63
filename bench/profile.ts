import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per origin
 * (redis-ferry's src/, ioredis, node internals, GC …), which is what tells an optimiser where
 * the client's CPU goes.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  functions: { name: string; where: string; ms: number; share: number }[];
  origins: { origin: string; ms: number; share: number }[];
}

function origin(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.includes('/node_modules/')) return url.replace(/^.*\/node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1');
  if (url.startsWith('node:')) return 'node internals';
  const m = /\/(src|bench|test)\/([^/]+)/.exec(url); // a folder (src/redis) or a file (bench/exit-stats.mjs)
  if (m) return `${m[1]}/${m[2]}`;
  // The bundled CLI: one file for all of src/, named relative to the repository.
  return /\/dist\/[^/]+$/.test(url) ? url.replace(/^.*\/(dist\/[^/]+)$/, '$1 (src/, bundled)') : url;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(src|bench|test|node_modules|dist)\//, '$1/');
}

export function summarizeProfile(profile: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample; it is attributed to samples[i].
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const origins = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    totalUs += us;
    const name = functionName || '(anonymous)';
    // tsx emits each module on one line, so line 1 carries no information there.
    const where = url ? `${shortUrl(url)}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}` : '';
    const key = `${name}@${where}`;
    const entry = fns.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    const o = origin(url, name);
    origins.set(o, (origins.get(o) ?? 0) + us);
  }
  const share = (us: number) => (totalUs > 0 ? us / totalUs : 0);
  return {
    totalMs: totalUs / 1000,
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
    origins: [...origins.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([o, us]) => ({ origin: o, ms: us / 1000, share: share(us) })),
  };
}

/** Reads the main thread's profile from a --cpu-prof-dir (the largest file: loader threads are tiny). */
export async function readProfileDir(dir: string, top = 15): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const profiles = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as CpuProfile));
  const main = profiles.reduce((a, b) => (b.samples.length > a.samples.length ? b : a));
  return summarizeProfile(main, top);
}
