/**
 * `npm test`'s pretest step: stops the run in one line when this machine has no redis-server
 * (Redis 7.0+) on the PATH, which every integration test starts, and says how to install it.
 */
import { redisServerProblem } from '../test/helpers/redis-binaries.js';

const problem = redisServerProblem('npm test');
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
}
