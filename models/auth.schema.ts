import { z } from 'zod';
import { LatLngSchema, RoleSchema, trimmedText } from './common.schema';
import { certificationIds } from './catalog';

export const CertificationIdSchema = z.enum(certificationIds);

/** An e-mail address as the service accepts it; the OpenAPI document carries zod's pattern with `format: email`,
 * which alone allows addresses zod refuses (`_?/7&}@bx.io`). */
export const EmailSchema = z.email().max(254).meta({ pattern: z.regexes.email.source });

/** bcrypt reads the first 72 bytes of a password and ignores the rest. */
export const PASSWORD_MAX_BYTES = 72;
export const passwordTooLong = (p: string) => new TextEncoder().encode(p).length > PASSWORD_MAX_BYTES;
/** A new password: 8 characters or more, at most 72 bytes in UTF-8 (24 Chinese characters), all of which count. */
const tooLongMessage = `at most ${PASSWORD_MAX_BYTES} bytes (UTF-8): a longer password would not be read whole`;
export const PasswordSchema = z
  .string()
  .min(8)
  .max(PASSWORD_MAX_BYTES, { message: tooLongMessage, abort: true })
  .refine((p) => !passwordTooLong(p), { message: tooLongMessage });

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
  password: z.string().min(1).max(128),
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
