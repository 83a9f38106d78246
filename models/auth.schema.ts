import { z } from 'zod';
import { LatLngSchema, RoleSchema } from './common.schema';
import { certificationIds } from './catalog';

export const CertificationIdSchema = z.enum(certificationIds);

export const OrganizationInputSchema = z.strictObject({
  name: z.string().trim().min(2).max(160),
  region: z.string().trim().min(2).max(64),
  location: LatLngSchema,
  certifications: z.array(CertificationIdSchema).max(50).optional(),
});

export const RegisterSchema = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(8).max(128),
  name: z.string().trim().min(1).max(120),
  role: z.enum(['supplier', 'buyer']),
  organization: OrganizationInputSchema,
});
export type RegisterInput = z.infer<typeof RegisterSchema>;

export const LoginSchema = z.strictObject({
  email: z.email().max(254),
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
