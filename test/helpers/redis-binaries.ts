import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The harness runs real redis-server processes. Without one (or with one too old for the Redis 7
 * commands the harness and the tests use), the tests and the demo say so in one line, with the
 * command that installs it, instead of failing later with a spawn error deep in a stack trace.
 */

const INSTALL = 'install it (Debian/Ubuntu: sudo apt-get install -y redis-server redis-tools; macOS: brew install redis)';

/** The executable `name` on `path` (as `command -v` finds it), or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here (or not executable): keep looking.
    }
  }
  return undefined;
}

/** The line to print when there is no redis-server on the PATH. */
export function missingRedisServer(purpose: string): string {
  return `${purpose} needs redis-server (Redis 7.0 or later) on the PATH, and there is none: ${INSTALL}`;
}

/**
 * Why `purpose` cannot run on this machine, in one line saying how to fix it; undefined when
 * redis-server 7.0 or later is on the PATH.
 */
export function redisServerProblem(purpose: string, path = process.env.PATH ?? ''): string | undefined {
  const server = findOnPath('redis-server', path);
  if (!server) return missingRedisServer(purpose);
  const printed = spawnSync(server, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const version = /\bv=(\d+)\.\d+\S*/.exec(printed);
  if (version && Number(version[1]) < 7) {
    const upgrade = 'upgrade it (macOS: brew upgrade redis; Debian/Ubuntu: the packages.redis.io repository)';
    return `${purpose} needs Redis 7.0 or later, and ${server} is ${version[0].slice(2)}: ${upgrade}`;
  }
  return undefined;
}
