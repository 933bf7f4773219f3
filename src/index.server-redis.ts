/**
 * lifeline-ws/server/redis (Node only): a shared session store in Redis, so any node of a fleet
 * resumes any session and a node dying loses nothing it acknowledged. Needs the `redis` package
 * (node-redis), an optional peer dependency: `lifeline-ws/server` alone never loads it.
 */
export { redisStore } from './server/redis.js'
export type { RedisStoreOptions } from './server/redis.js'
