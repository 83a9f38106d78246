import { z } from 'zod';
import { LatLngSchema, RoleSchema, trimmedText } from './common.schema';
import { certificationIds } from './catalog';

export const CertificationIdSchema = z.enum(certificationIds);

/**
 * An e-mail address as the service accepts it: zod's pattern, with a local part of at most 64 characters (RFC
 * 5321). The OpenAPI document carries the pattern beside `format: email`, which alone allows addresses zod refuses
 * (`_?/7&}@bx.io`).
 */
const emailPattern = new RegExp(`^(?=[^@]{1,64}@)${z.regexes.email.source.replace(/^\^/, '')}`);
export const EmailSchema = z.email({ pattern: emailPattern }).max(254).meta({ pattern: emailPattern.source });

/** bcrypt reads the first 72 bytes of a password: a longer one is hashed first (server/auth), so every byte counts. */
export const PASSWORD_MAX_BYTES = 72;
export const passwordTooLong = (p: string) => new TextEncoder().encode(p).length > PASSWORD_MAX_BYTES;
/** A new password: 8 to 128 characters, no NUL character. */
export const PasswordSchema = z.string().min(8).max(128).meta({ pattern: '^[^\\u0000]*$' });

export const OrganizationInputSchema = z.strictObject({
  name: trimmedText(2, 160),
  region: trimmedText(2, 64),
  location: LatLngSchema,
  certifications: z.array(CertificationIdSchema).max(50).optional(),
});

export const RegisterSchema = z.strictObject({
  email: EmailSchema,
  password: PasswordSchema,
  name: trimmedText(1, 120),
  role: z.enum(['supplier', 'buyer']),
  organization: OrganizationInputSchema,
});
export type RegisterInput = z.infer<typeof RegisterSchema>;

export const LoginSchema = z.strictObject({
  email: EmailSchema,
  password: z.string().min(1).max(128).meta({ pattern: '^[^\\u0000]*$' }),
});
export type LoginInput = z.infer<typeof LoginSchema>;

export const OrganizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  nameZh: z.string().optional().describe('(extension) the name in Chinese, when it has one'),
  kind: z.enum(['supplier', 'buyer', 'coordinator']),
  region: z.string(),
  location: LatLngSchema,
  certifications: z.array(z.string()),
  verified: z.boolean(),
});
export type Organization = z.infer<typeof OrganizationSchema>;

export const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: RoleSchema,
  organization: OrganizationSchema.nullable(),
});
export type User = z.infer<typeof UserSchema>;

export const AuthResponseSchema = z.object({ token: z.string(), user: UserSchema });
export type AuthResponse = z.infer<typeof AuthResponseSchema>;
