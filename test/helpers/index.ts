// Throwaway Redis topologies for integration tests: standalone (password,
// ACL users, TLS), cluster and sentinel. Every process is killed on exit.
export { freePort } from './free-port.js';
export { type ManagedProcess, stopAll } from './managed-process.js';
export { type ClusterStartOptions, type RedisCluster, startCluster } from './redis-cluster.js';
export {
  type SentinelProcess,
  type SentinelSet,
  type SentinelSetOptions,
  startSentinelSet,
} from './redis-sentinel.js';
export {
  type AclUser,
  type ClientOptions,
  type RedisServer,
  type RedisServerOptions,
  startRedis,
  tlsClientOptions,
} from './redis-server.js';
export { makeTlsMaterial, type TlsMaterial } from './tls.js';
export { parseInfo, waitUntil } from './wait.js';
