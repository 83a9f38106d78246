import path from 'node:path';
import { z } from 'zod';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  MONGODB_URI: z.string().min(1).optional(),
  FUCHAN_DATA_DIR: z.string().min(1).default('./data'),
  FUCHAN_CACHE_DIR: z.string().min(1).default('./.cache'),
  FUCHAN_DB_BACKEND: z.enum(['sqlite', 'postgresql']).default('sqlite'),
  REDIS_URL: z.string().min(1).optional(),
  FUCHAN_DEMO: booleanString.optional(),
  FUCHAN_DEMO_SEED: z.coerce.number().int().default(2020),
  JWT_SECRET: z.string().min(16).optional(),
  TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  CORS_ORIGINS: z.string().default(''),
  BODY_LIMIT: z.string().default('100kb'),
  RATE_LIMIT_AUTH_PER_MINUTE: z.coerce.number().int().positive().default(30),
  RATE_LIMIT_WRITE_PER_MINUTE: z.coerce.number().int().positive().default(600),
  BCRYPT_ROUNDS: z.coerce.number().int().min(4).max(15).default(10),
  LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  DB_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Config = {
  port: number;
  host: string;
  mongodbUri?: string;
  dataDir: string;
  cacheDir: string;
  /** The embedded FerretDB's storage (FUCHAN_DB_BACKEND); unused with MONGODB_URI. */
  dbBackend: 'sqlite' | 'postgresql';
  redisUrl?: string;
  demo: boolean;
  demoSeed: number;
  jwtSecret?: string;
  tokenTtlSeconds: number;
  corsOrigins: string[];
  bodyLimit: string;
  rateLimitAuthPerMinute: number;
  rateLimitWritePerMinute: number;
  loginMaxFailures: number;
  bcryptRounds: number;
  dbTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
};

/** Parses the environment once at start-up; fails fast with every invalid variable named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    mongodbUri: e.MONGODB_URI,
    dataDir: path.resolve(e.FUCHAN_DATA_DIR),
    cacheDir: path.resolve(e.FUCHAN_CACHE_DIR),
    dbBackend: e.FUCHAN_DB_BACKEND,
    redisUrl: e.REDIS_URL,
    demo: e.FUCHAN_DEMO ?? !e.MONGODB_URI,
    demoSeed: e.FUCHAN_DEMO_SEED,
    jwtSecret: e.JWT_SECRET,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    corsOrigins: e.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    bodyLimit: e.BODY_LIMIT,
    rateLimitAuthPerMinute: e.RATE_LIMIT_AUTH_PER_MINUTE,
    rateLimitWritePerMinute: e.RATE_LIMIT_WRITE_PER_MINUTE,
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    bcryptRounds: e.BCRYPT_ROUNDS,
    dbTimeoutMs: e.DB_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
}
