import crypto from 'node:crypto';
import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import mongoose from 'mongoose';
import type { LoginInput, Organization, RegisterInput, User } from '../../models/auth.schema';
import type { Role } from '../../models/common.schema';
import { OrganizationModel, type OrganizationDoc } from '../../models/organization.model';
import { SettingModel } from '../../models/setting.model';
import { UserModel, type UserDoc } from '../../models/user.model';
import { AppError } from '../errors';

/** What a verified token says about its bearer. */
export interface AuthContext {
  userId: string;
  role: Role;
  organizationId: string | null;
}

export function toOrganizationDto(org: OrganizationDoc): Organization {
  return {
    id: String(org._id),
    name: org.name,
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
  lockoutSeconds?: number;
}

/** Accounts, passwords and tokens. */
export class AuthService {
  private secret: string | null;
  private readonly rounds: number;
  private readonly lockoutMs: number;
  private dummyHash: string | undefined;

  constructor(private readonly opts: AuthServiceOptions) {
    this.secret = opts.jwtSecret ?? null;
    this.rounds = opts.bcryptRounds ?? 10;
    this.lockoutMs = (opts.lockoutSeconds ?? 300) * 1000;
  }

  /** Loads the signing secret: configured, or generated once and shared by every instance through the database. */
  async init(): Promise<void> {
    if (this.secret) return;
    const candidate = crypto.randomBytes(48).toString('base64url');
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
    });
  }

  /** Checks a token's signature and expiry. @throws AppError unauthorized */
  verify(token: string): AuthContext {
    if (!this.secret) throw new Error('AuthService.init() was not called');
    try {
      const p = jwt.verify(token, this.secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      if (typeof p.sub !== 'string' || typeof p.role !== 'string') throw new Error('bad claims');
      return { userId: p.sub, role: p.role as Role, organizationId: typeof p.org === 'string' ? p.org : null };
    } catch {
      throw AppError.unauthorized('Invalid or expired token');
    }
  }

  /** Self-registration of a supplier or buyer with a new organization. @throws AppError conflict when the email is taken */
  async register(input: RegisterInput): Promise<{ token: string; user: User }> {
    const email = input.email.toLowerCase();
    if (await UserModel.exists({ email })) throw AppError.conflict('An account with this email already exists');
    const passwordHash = await bcrypt.hash(input.password, this.rounds);
    const org = await OrganizationModel.create({
      name: input.organization.name,
      kind: input.role,
      region: input.organization.region,
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
    const passwordHash = await bcrypt.hash(input.password, this.rounds);
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
   * Checks the password; after `loginMaxFailures` failures in a row the account is locked for a while.
   * @throws AppError unauthorized on wrong credentials, rate_limited while locked
   */
  async login(input: LoginInput): Promise<{ token: string; user: User }> {
    const email = input.email.toLowerCase();
    const user = (await UserModel.findOne({ email }).lean()) as UserDoc | null;
    if (!user) {
      this.dummyHash ??= await bcrypt.hash('not-a-password', this.rounds);
      await bcrypt.compare(input.password, this.dummyHash); // same work as a real check: no user enumeration by timing
      throw AppError.unauthorized('Wrong email or password');
    }
    if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
      const retryAfter = Math.ceil((user.lockedUntil.getTime() - Date.now()) / 1000);
      throw new AppError('rate_limited', 'Too many failed sign-in attempts; try again later', 429, { retryAfter });
    }
    const ok = await bcrypt.compare(input.password, user.passwordHash);
    if (!ok) {
      const failures = (user.failedLogins ?? 0) + 1;
      const locked = failures >= this.opts.loginMaxFailures;
      await UserModel.updateOne(
        { _id: user._id },
        { $set: { failedLogins: locked ? 0 : failures, lockedUntil: locked ? new Date(Date.now() + this.lockoutMs) : null } },
      );
      throw AppError.unauthorized('Wrong email or password');
    }
    if (user.failedLogins) await UserModel.updateOne({ _id: user._id }, { $set: { failedLogins: 0, lockedUntil: null } });
    const org = user.organization ? ((await OrganizationModel.findById(user.organization).lean()) as OrganizationDoc | null) : null;
    return { token: this.sign(user), user: toUserDto(user, org) };
  }

  /** The signed-in user with their organization. @throws AppError unauthorized when the account is gone */
  async me(ctx: AuthContext): Promise<User> {
    const user = (await UserModel.findById(ctx.userId).lean()) as UserDoc | null;
    if (!user) throw AppError.unauthorized('Account no longer exists');
    const org = user.organization ? ((await OrganizationModel.findById(user.organization).lean()) as OrganizationDoc | null) : null;
    return toUserDto(user, org);
  }
}
