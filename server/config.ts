import path from 'node:path';
import { z } from 'zod';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Express `trust proxy`: true/false, a hop count, or comma-separated addresses/subnets/names (loopback, uniquelocal). */
  TRUST_PROXY: z
    .string()
    .trim()
    .min(1)
    .default('loopback')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  MONGODB_URI: z.string().min(1).optional(),
  FUCHAN_DATA_DIR: z.string().min(1).default('./data'),
  FUCHAN_CACHE_DIR: z.string().min(1).default('./.cache'),
  FUCHAN_DB_BACKEND: z.enum(['sqlite', 'postgresql']).default('postgresql'),
  REDIS_URL: z.string().min(1).optional(),
  FUCHAN_DEMO: booleanString.optional(),
  FUCHAN_DEMO_SEED: z.coerce.number().int().default(2020),
  JWT_SECRET: z.string().min(16).optional(),
  TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  CORS_ORIGINS: z.string().default(''),
  BODY_LIMIT: z.string().default('100kb'),
  RATE_LIMIT_AUTH_PER_MINUTE: z.coerce.number().int().positive().default(30),
  RATE_LIMIT_WRITE_PER_MINUTE: z.coerce.number().int().positive().default(600),
  RATE_LIMIT_READ_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  RATE_LIMIT_REGISTER_PER_HOUR: z.coerce.number().int().positive().default(20),
  BCRYPT_ROUNDS: z.coerce.number().int().min(4).max(15).default(10),
  LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  /** How often (ms) an instance reads the log for other instances' commands; unset: every 100 ms with REDIS_URL, never without. */
  LEDGER_TAIL_MS: z.coerce.number().int().min(0).optional(),
  /** After one side accepts a proposal, how long the other side has to answer before it lapses. */
  HOLD_MINUTES: z.coerce.number().positive().default(30),
  /** How long a proposal nobody answers stays proposed. */
  PROPOSAL_TTL_HOURS: z.coerce.number().positive().default(24),
  /** Largest evidence file accepted (bytes). */
  EVIDENCE_MAX_BYTES: z.coerce.number().int().min(1024).max(50 * 1_048_576).default(5 * 1_048_576),
  /** Until an organization has a verified certification or a delivered match: open offers it may keep... */
  UNVERIFIED_MAX_OPEN_OFFERS: z.coerce.number().int().min(0).default(5),
  /** ...and the share of any critical demand it may hold (0..1). */
  UNVERIFIED_MAX_SHARE_OF_CRITICAL: z.coerce.number().min(0).max(1).default(0.2),
  DB_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

/** Whether `host` is a loopback address (only this machine can connect). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The demo scenario signs everyone in with a published password, so it never loads on a public address
 * by default: FUCHAN_DEMO unset means "demo on the embedded database when listening on loopback only";
 * unset with the embedded database on another HOST is refused, to make the operator choose.
 * @throws Error when the choice is left open on a non-loopback HOST
 */
function demoEnabled(explicit: boolean | undefined, host: string, externalDb: boolean): boolean {
  if (explicit !== undefined) return explicit;
  if (externalDb) return false;
  if (isLoopbackHost(host)) return true;
  throw new Error(
    `Invalid configuration:\n  FUCHAN_DEMO: the demo (accounts with a published password) would load on HOST=${host}, which is not a loopback address; ` +
      'set FUCHAN_DEMO=false for a real service, or FUCHAN_DEMO=true to expose the demo on purpose',
  );
}

/** The configuration: the environment schema, turned into the service's settings (the type derives from it). */
const ConfigSchema = EnvSchema.transform((e, ctx) => {
  let demo = false;
  try {
    demo = demoEnabled(e.FUCHAN_DEMO, e.HOST, !!e.MONGODB_URI);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['FUCHAN_DEMO'], message: (err as Error).message.replace(/^Invalid configuration:\n\s*FUCHAN_DEMO: /, '') });
  }
  return {
    port: e.PORT,
    host: e.HOST,
    /** Express `trust proxy` (who may set X-Forwarded-For/-Proto): decides req.ip and req.secure. */
    trustProxy: e.TRUST_PROXY,
    mongodbUri: e.MONGODB_URI,
    dataDir: path.resolve(e.FUCHAN_DATA_DIR),
    cacheDir: path.resolve(e.FUCHAN_CACHE_DIR),
    /** The embedded FerretDB's storage (FUCHAN_DB_BACKEND); unused with MONGODB_URI. */
    dbBackend: e.FUCHAN_DB_BACKEND,
    redisUrl: e.REDIS_URL,
    demo,
    demoSeed: e.FUCHAN_DEMO_SEED,
    jwtSecret: e.JWT_SECRET,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    corsOrigins: e.CORS_ORIGINS.split(',').map((v) => v.trim()).filter(Boolean),
    bodyLimit: e.BODY_LIMIT,
    rateLimitAuthPerMinute: e.RATE_LIMIT_AUTH_PER_MINUTE,
    rateLimitWritePerMinute: e.RATE_LIMIT_WRITE_PER_MINUTE,
    /** Per user and address, for the GET routes that scan (lists, matches, near misses). */
    rateLimitReadPerMinute: e.RATE_LIMIT_READ_PER_MINUTE,
    /** Per address: registrations also tell whether an e-mail has an account, so they are scarce. */
    rateLimitRegisterPerHour: e.RATE_LIMIT_REGISTER_PER_HOUR,
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    /** Negative: unset (tail only with REDIS_URL, every 100 ms). */
    ledgerTailMs: e.LEDGER_TAIL_MS ?? -100,
    holdMs: Math.round(e.HOLD_MINUTES * 60_000),
    proposalTtlMs: Math.round(e.PROPOSAL_TTL_HOURS * 3_600_000),
    bcryptRounds: e.BCRYPT_ROUNDS,
    evidenceMaxBytes: e.EVIDENCE_MAX_BYTES,
    /** Limits for organizations without a verified certification or a delivered match (server/trust). */
    trustLimits: { maxOpenOffers: e.UNVERIFIED_MAX_OPEN_OFFERS, maxShareOfCritical: e.UNVERIFIED_MAX_SHARE_OF_CRITICAL },
    dbTimeoutMs: e.DB_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
});

export type Config = z.output<typeof ConfigSchema>;

/** Parses the environment once at start-up; fails fast with every invalid variable named. @throws Error */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
