import { InvalidArgumentError } from 'commander';

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0');
  return n;
}

export function dbList(value: string): number[] {
  const dbs = value.split(',').map((v) => Number(v.trim()));
  if (dbs.some((d) => !Number.isInteger(d) || d < 0)) throw new InvalidArgumentError('must be db numbers, e.g. 0,1,5');
  return dbs;
}

export function dbMap(value: string): Record<string, number> {
  const map: Record<string, number> = {};
  for (const pair of value.split(',')) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(pair);
    if (!m) throw new InvalidArgumentError('must be source:target pairs, e.g. 1:0,2:3');
    map[m[1]!] = Number(m[2]);
  }
  return map;
}

/** The arguments as typed, from the subcommand on, for the "resume with" hint. */
export function argsFrom(command: string): string[] {
  const i = process.argv.indexOf(command);
  return i >= 0 ? process.argv.slice(i) : [command];
}
