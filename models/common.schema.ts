import { z } from 'zod';

/** A point on Earth in decimal degrees. */
export const LatLngSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});
export type LatLng = z.infer<typeof LatLngSchema>;

const NUL_MESSAGE = 'contains a NUL character (U+0000)';

/**
 * A text field trimmed before its length is checked. The OpenAPI document says so with a pattern (at least `min`
 * characters from the first to the last that is not white space), so a value the service refuses as blank is not
 * schema-valid there either.
 */
export function trimmedText(min: number, max: number) {
  // a character that is neither blank nor NUL, and any but NUL (the embedded database cannot store U+0000)
  const solid = '[^\\s\\u0000]';
  const any = '[^\\u0000]';
  const pattern = min <= 1 ? `^${any}*${solid}${any}*$` : `^${any}*${solid}${any}{${min - 2},}${solid}${any}*$`;
  return z.string().trim().min(min).max(max).refine((v) => !v.includes('\u0000'), NUL_MESSAGE).meta({ pattern });
}

/** An optional free note (0..500 characters, trimmed, no NUL character). */
export const NoteSchema = z.string().trim().max(500).refine((v) => !v.includes('\u0000'), NUL_MESSAGE).meta({ pattern: '^[^\\u0000]*$' });

/** A 24-hex-digit database id. */
export const IdSchema = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');

export const IdParamsSchema = z.strictObject({ id: IdSchema });

/** An ISO 8601 date or date-time (with offset) as sent over the wire. */
export const IsoDateSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

export const PrioritySchema = z.enum(['critical', 'high', 'normal']);
export type Priority = z.infer<typeof PrioritySchema>;
/** Weight of a priority in the global allocation objective. */
export const priorityWeight: Record<Priority, number> = { critical: 3, high: 2, normal: 1 };

export const RoleSchema = z.enum(['supplier', 'buyer', 'coordinator', 'admin']);
export type Role = z.infer<typeof RoleSchema>;

export const PageQuerySchema = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

/** Every socket ack: `{ok:true,data}` or `{ok:false,error}`. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } };

/**
 * Units of confirmed matches by the stage they are in; they add up to the confirmed units (a delivered match
 * still counts as confirmed).
 */
export const UnitStagesSchema = z.object({
  awaitingProduction: z.number().describe('confirmed, not started'),
  inProduction: z.number(),
  shipped: z.number(),
  delivered: z.number(),
});
export type UnitStages = z.infer<typeof UnitStagesSchema>;
