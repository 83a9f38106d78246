import crypto from 'node:crypto';
import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import mongoose from 'mongoose';
import { passwordTooLong, type LoginInput, type Organization, type RegisterInput, type User } from '../../models/auth.schema';
import type { Role } from '../../models/common.schema';
import { LoginFailureModel } from '../../models/login-failure.model';
import { OrganizationModel, type OrganizationDoc } from '../../models/organization.model';
import { RevokedTokenModel } from '../../models/revoked-token.model';
import { SettingModel } from '../../models/setting.model';
import { regionId } from '../../models/provinces';
import { UserModel, type UserDoc } from '../../models/user.model';
import { AppError } from '../errors';

/** What a verified token says about its bearer. */
export interface AuthContext {
  userId: string;
  role: Role;
  organizationId: string | null;
  /** The token's `jti` (tokens signed before revocation existed have none and cannot be revoked one by one). */
  tokenId?: string;
  /** When the token expires, in ms since the epoch. */
  expiresAt?: number;
}

export function toOrganizationDto(org: OrganizationDoc): Organization {
  return {
    id: String(org._id),
    name: org.name,
    ...(org.nameZh ? { nameZh: org.nameZh } : {}),
    kind: org.kind as Organization['kind'],
    region: org.region,
    location: { lat: org.location.lat, lng: org.location.lng },
    certifications: [...(org.certifications ?? [])],
    verified: Boolean(org.verified),
  };
}

function toUserDto(user: UserDoc, org: OrganizationDoc | null): User {
  return {
    id: String(user._id),
    email: user.email,
    name: user.name,
    role: user.role as Role,
    organization: org ? toOrganizationDto(org) : null,
  };
}

function isDuplicateKey(err: unknown) {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export interface AuthServiceOptions {
  jwtSecret?: string;
  tokenTtlSeconds: number;
  bcryptRounds?: number;
  loginMaxFailures: number;
  /** The lockout window: at most `loginMaxFailures` failed sign-ins per account per window. */
  lockoutSeconds?: number;
  /** How stale this instance's copy of the signed-out tokens may get (other instances' sign-outs). */
  revocationPollMs?: number;
  /** The clock of the lockout windows (tests inject one). */
  now?: () => number;
}

/**
 * What bcrypt hashes for a password. bcrypt reads only the first 72 bytes, so a longer password is reduced to its
 * SHA-256 first (51 bytes with its prefix): every byte of it counts, and no two differing after byte 72 match.
 */
function bcryptInput(password: string) {
  return passwordTooLong(password) ? `sha256:${crypto.createHash('sha256').update(password, 'utf8').digest('base64')}` : password;
}

/** The one answer for an unknown e-mail, a wrong password and a locked account: nothing to enumerate. */
const wrongCredentials = () => AppError.unauthorized('Wrong email or password');

/** Accounts, passwords and tokens. */
export class AuthService {
  private secret: string | null;
  private readonly rounds: number;
  private readonly lockoutMs: number;
  private dummyHash: string | undefined;
  private readonly now: () => number;
  /** Signed-out token ids -> when they expire (ms). */
  private readonly revoked = new Map<string, number>();
  private readonly revokedListeners = new Set<(tokenId: string) => void>();
  private readonly revocationPollMs: number;
  private lastRevocationPoll = 0;
  private revocationPoll: Promise<void> | null = null;
  private lastCleanup = 0;

  constructor(private readonly opts: AuthServiceOptions) {
    this.secret = opts.jwtSecret ?? null;
    this.rounds = opts.bcryptRounds ?? 10;
    this.lockoutMs = (opts.lockoutSeconds ?? 300) * 1000;
    this.revocationPollMs = opts.revocationPollMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Loads the signing secret: configured, or generated once and shared by every instance through the database.
   * Called again after the database was emptied (the demo's loading), it stores the secret this instance signs
   * with once more, so its tokens still verify after a restart and on other instances.
   */
  async init(): Promise<void> {
    await Promise.all([LoginFailureModel.createIndexes(), RevokedTokenModel.createIndexes()]).catch(() => undefined);
    await this.refreshRevocations().catch(() => undefined);
    if (this.opts.jwtSecret) return;
    const candidate = this.secret ?? crypto.randomBytes(48).toString('base64url');
    try {
      await SettingModel.create({ _id: 'jwtSecret', value: candidate });
      this.secret = candidate;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const s = await SettingModel.findById('jwtSecret').lean();
      this.secret = String(s!.value);
    }
  }

  private sign(user: UserDoc): string {
    if (!this.secret) throw new Error('AuthService.init() was not called');
    return jwt.sign({ role: user.role, org: user.organization ? String(user.organization) : null }, this.secret, {
      subject: String(user._id),
      expiresIn: this.opts.tokenTtlSeconds,
      algorithm: 'HS256',
      jwtid: crypto.randomUUID(),
    });
  }

  /** Checks a token's signature and expiry. @throws AppError unauthorized */
  verify(token: string): AuthContext {
    if (!this.secret) throw new Error('AuthService.init() was not called');
    try {
      const p = jwt.verify(token, this.secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      if (typeof p.sub !== 'string' || typeof p.role !== 'string') throw new Error('bad claims');
      if (typeof p.jti === 'string' && this.revoked.has(p.jti)) throw new Error('signed out');
      return {
        userId: p.sub,
        role: p.role as Role,
        organizationId: typeof p.org === 'string' ? p.org : null,
        tokenId: typeof p.jti === 'string' ? p.jti : undefined,
        expiresAt: typeof p.exp === 'number' ? p.exp * 1000 : undefined,
      };
    } catch {
      throw AppError.unauthorized('Invalid or expired token');
    }
  }

  /** Self-registration of a supplier or buyer with a new organization. @throws AppError conflict when the email is taken */
  async register(input: RegisterInput): Promise<{ token: string; user: User }> {
    const email = input.email.toLowerCase();
    if (await UserModel.exists({ email })) throw AppError.conflict('An account with this email already exists');
    const passwordHash = await bcrypt.hash(bcryptInput(input.password), this.rounds);
    const org = await OrganizationModel.create({
      name: input.organization.name,
      kind: input.role,
      // a province spelt another way is filed under its id, as coverage, filters and coordinators' scopes name it
      region: regionId(input.organization.region),
      location: input.organization.location,
      certifications: input.organization.certifications ?? [],
      verified: false,
    });
    try {
      const user = await UserModel.create({ email, passwordHash, name: input.name, role: input.role, organization: org._id });
      return { token: this.sign(user.toObject()), user: toUserDto(user.toObject(), org.toObject()) };
    } catch (err) {
      await OrganizationModel.deleteOne({ _id: org._id });
      if (isDuplicateKey(err)) throw AppError.conflict('An account with this email already exists');
      throw err;
    }
  }

  /** Creates an account of any role (operators' command and the seed). */
  async createUser(input: {
    email: string;
    password: string;
    name: string;
    role: Role;
    organizationId?: string | null;
  }): Promise<User> {
    const email = input.email.toLowerCase();
    if (await UserModel.exists({ email })) throw AppError.conflict(`An account with email ${email} already exists`);
    const passwordHash = await bcrypt.hash(bcryptInput(input.password), this.rounds);
    const user = await UserModel.create({
      email,
      passwordHash,
      name: input.name,
      role: input.role,
      organization: input.organizationId ? new mongoose.Types.ObjectId(input.organizationId) : null,
    });
    const org = input.organizationId ? await OrganizationModel.findById(input.organizationId).lean() : null;
    return toUserDto(user.toObject(), org as OrganizationDoc | null);
  }

  /**
   * Checks the password. Each attempt first claims one of the account's `loginMaxFailures` slots of the
   * current lockout window (an insert of a unique `_id`, atomic even on FerretDB), so parallel guesses
   * count exactly and at most that many are ever checked per window; a failed attempt keeps its slot, a
   * success frees its own and the failed ones. With every slot held by a failure the account is locked
   * until the window ends, and says so exactly like an unknown e-mail or a wrong password; while some slot
   * is held by an attempt still being checked, later attempts wait for it (parallel right passwords pass).
   * @throws AppError unauthorized on wrong credentials or a locked account
   */
  async login(input: LoginInput): Promise<{ token: string; user: User }> {
    const email = input.email.toLowerCase();
    const user = (await UserModel.findOne({ email }).lean()) as UserDoc | null;
    const slot = user ? await this.claimAttemptSlot(String(user._id)) : null;
    if (!user || !slot) {
      this.dummyHash ??= await bcrypt.hash('not-a-password', this.rounds);
      await bcrypt.compare(bcryptInput(input.password), this.dummyHash); // same work as a real check: no enumeration by timing
      throw wrongCredentials();
    }
    const check = async () =>
      (await bcrypt.compare(bcryptInput(input.password), user.passwordHash)) ||
      // an account made before long passwords were hashed first was stored from its first 72 bytes
      (passwordTooLong(input.password) && (await bcrypt.compare(input.password, user.passwordHash)));
    const ok = await check().catch(async (err: unknown) => {
      await LoginFailureModel.deleteOne({ _id: slot }).catch(() => undefined);
      throw err;
    });
    if (!ok) {
      // the slot stays as the failure record (only its owner writes it: no race in this update)
      await LoginFailureModel.updateOne({ _id: slot }, { $set: { state: 'failed' } });
      throw wrongCredentials();
    }
    await Promise.all([
      LoginFailureModel.deleteOne({ _id: slot }),
      LoginFailureModel.deleteMany({ user: String(user._id), state: 'failed' }),
    ]);
    const org = user.organization ? ((await OrganizationModel.findById(user.organization).lean()) as OrganizationDoc | null) : null;
    return { token: this.sign(user), user: toUserDto(user, org) };
  }

  /**
   * One attempt slot `userId:window:n` of the current window, or null when every slot holds a failure
   * (locked). Slots held by attempts still in flight are waited for, up to a bound.
   */
  private async claimAttemptSlot(userId: string): Promise<string | null> {
    const giveUpAt = Date.now() + 10_000;
    for (;;) {
      const now = this.now();
      const window = Math.floor(now / this.lockoutMs) * this.lockoutMs;
      for (let n = 0; n < this.opts.loginMaxFailures; n++) {
        const _id = `${userId}:${window}:${n}`;
        try {
          await LoginFailureModel.create({ _id, user: userId, window, at: new Date(now), state: 'pending' });
          return _id;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
        }
      }
      // locked only when failures hold every slot (a pending slot older than 30 s belongs to an attempt
      // that died: it counts as a failure); else an attempt in flight will free its slot, or just did
      const held = await LoginFailureModel.find({ user: userId, window }, { state: 1, at: 1 }).lean();
      const failures = held.filter((h) => h.state !== 'pending' || new Date(h.at).getTime() <= now - 30_000).length;
      if (failures >= this.opts.loginMaxFailures || Date.now() > giveUpAt) return null;
      if (held.length >= this.opts.loginMaxFailures) await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Signs a token out everywhere: at once on this instance, within `revocationPollMs` on the others
   * (they read new revocations from the database). Tokens without a `jti` cannot be revoked.
   */
  async revoke(ctx: AuthContext): Promise<void> {
    if (!ctx.tokenId) return;
    const expiresAt = ctx.expiresAt ?? this.now() + this.opts.tokenTtlSeconds * 1000;
    this.markRevoked(ctx.tokenId, expiresAt);
    try {
      await RevokedTokenModel.create({ _id: ctx.tokenId, user: ctx.userId, expiresAt: new Date(expiresAt), revokedAt: new Date() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** Calls `listener` with each token id signed out from now on (here or, once polled, elsewhere). */
  onRevoked(listener: (tokenId: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  private markRevoked(tokenId: string, expiresAt: number) {
    if (this.revoked.has(tokenId)) return;
    this.revoked.set(tokenId, expiresAt);
    for (const l of this.revokedListeners) l(tokenId);
  }

  /** Reads the revocations made since the last read (with a margin for clock skew between instances). */
  async refreshRevocations(): Promise<void> {
    const started = Date.now();
    const since = new Date(Math.max(0, this.lastRevocationPoll - 30_000));
    const docs = await RevokedTokenModel.find({ revokedAt: { $gte: since }, expiresAt: { $gt: new Date(started) } }).lean();
    for (const d of docs) this.markRevoked(String(d._id), new Date(d.expiresAt).getTime());
    this.lastRevocationPoll = started;
    for (const [id, exp] of this.revoked) if (exp <= started) this.revoked.delete(id);
    if (started - this.lastCleanup > 3_600_000) {
      // hourly: revocations of expired tokens and failures of past windows are no longer needed
      this.lastCleanup = started;
      await Promise.all([
        RevokedTokenModel.deleteMany({ expiresAt: { $lte: new Date(started) } }),
        LoginFailureModel.deleteMany({ at: { $lt: new Date(this.now() - 2 * this.lockoutMs) } }),
      ]);
    }
  }

  /** Refreshes the revocations when older than `revocationPollMs`; concurrent callers share one read. */
  async refreshRevocationsIfStale(): Promise<void> {
    if (Date.now() - this.lastRevocationPoll < this.revocationPollMs) return;
    this.revocationPoll ??= this.refreshRevocations().finally(() => {
      this.revocationPoll = null;
    });
    await this.revocationPoll;
  }

  /** How often connected sockets should be checked against other instances' revocations. */
  get revocationCheckMs(): number {
    return this.revocationPollMs;
  }

  /** The signed-in user with their organization. @throws AppError unauthorized when the account is gone */
  async me(ctx: AuthContext): Promise<User> {
    const user = (await UserModel.findById(ctx.userId).lean()) as UserDoc | null;
    if (!user) throw AppError.unauthorized('Account no longer exists');
    const org = user.organization ? ((await OrganizationModel.findById(user.organization).lean()) as OrganizationDoc | null) : null;
    return toUserDto(user, org);
  }
}
