import type { AuthResponse, LoginInput, RegisterInput, User } from '../../models/auth.schema';
import type { Demand, DemandInput } from '../../models/demand.schema';
import type { Match, MatchPatch, NearMiss, OfferReasons } from '../../models/match.schema';
import type { z } from 'zod';
import type { CertificationDetails, CertificationRecord, SupplierProfile, TrustStatusSchema } from '../../models/trust.schema';

export type TrustStatus = z.infer<typeof TrustStatusSchema>;
import type { Coverage, CoverageHistory, OptimizeSummary } from '../../models/metrics.schema';
import type { LineSchedule, Offer, OfferInput, OfferPatch } from '../../models/offer.schema';

/** One per-field problem from a 400 reply. */
export interface FieldDetail {
  path: string;
  message: string;
  code?: string;
}

/** One row's problem in an imported file (`row` as numbered in the file, the header is row 1). */
export interface RowDetail {
  row?: number;
  column?: string;
  code?: string;
  message: string;
}

/** What a posted import file created. */
export interface ImportResult {
  kind: 'offers' | 'demands';
  created: number;
  ids: string[];
  proposedUnits: number;
}

/** A non-2xx reply, `{error:{code,message,details}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldDetail[] = [],
    readonly rowDetails: RowDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Each production line's days of an offer (`LineScheduleListSchema`). */
export interface LineScheduleList {
  offerId: string;
  lines: LineSchedule[];
}

export interface MatchList {
  items: Match[];
  nearMisses: NearMiss[];
}

let onUnauthorized: (() => void) | null = null;
/** Called when a signed-in request is refused with 401 (the session expired). */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

function newKey(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

/**
 * One JSON request against the same-origin API. The session is the httpOnly cookie the server set at
 * sign-in; creating POSTs carry an Idempotency-Key so a retried click never posts twice.
 * @throws ApiError
 */
async function request<T>(method: string, path: string, body?: unknown, opts: { idempotent?: boolean; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const form = typeof FormData !== 'undefined' && body instanceof FormData;
  // a FormData body sets its own multipart content type
  if (body !== undefined && !form) headers['content-type'] = 'application/json';
  if (opts.idempotent) headers['idempotency-key'] = newKey();
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : form ? (body as FormData) : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    const details = Array.isArray(err?.details)
      ? (err.details as unknown[]).filter((d): d is FieldDetail => typeof d === 'object' && d !== null && 'path' in d && 'message' in d)
      : [];
    const rows = Array.isArray(err?.details)
      ? (err.details as unknown[]).filter((d): d is RowDetail => typeof d === 'object' && d !== null && 'row' in d && 'message' in d)
      : [];
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? res.statusText, details, rows);
  }
  return data as T;
}

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};

/** Every endpoint the client calls, typed with the shared models. */
export const api = {
  login: (body: LoginInput) => request<AuthResponse>('POST', '/auth/login', body, { quiet401: true }),
  register: (body: RegisterInput) => request<AuthResponse>('POST', '/auth/register', body),
  me: () => request<User>('GET', '/auth/me', undefined, { quiet401: true }),
  /** The signed-in user or null, with no 401 for an anonymous page. */
  session: () => request<{ user: User | null }>('GET', '/auth/session'),
  logout: () => request<{ ok: boolean }>('POST', '/auth/logout', undefined, { quiet401: true }),

  listOffers: (p: { category?: string; region?: string; status?: string; limit?: number; offset?: number } = {}) =>
    request<Page<Offer>>('GET', `/offers${q(p)}`),
  createOffer: (body: OfferInput) => request<Offer>('POST', '/offers', body, { idempotent: true }),
  updateOffer: (id: string, body: OfferPatch) => request<Offer>('PATCH', `/offers/${id}`, body),
  withdrawOffer: (id: string) => request<Offer>('DELETE', `/offers/${id}`),
  offerMatches: (id: string) => request<MatchList>('GET', `/offers/${id}/matches`),
  offerLines: (id: string) => request<LineScheduleList>('GET', `/offers/${id}/lines`),
  offerReasons: (id: string) => request<OfferReasons>('GET', `/offers/${id}/reasons`),

  listDemands: (p: { category?: string; region?: string; status?: string; limit?: number; offset?: number } = {}) =>
    request<Page<Demand>>('GET', `/demands${q(p)}`),
  createDemand: (body: DemandInput) => request<Demand>('POST', '/demands', body, { idempotent: true }),
  withdrawDemand: (id: string) => request<Demand>('DELETE', `/demands/${id}`),
  demandMatches: (id: string) => request<MatchList>('GET', `/demands/${id}/matches`),

  accept: (id: string) => request<Match>('POST', `/matches/${id}/accept`, undefined, { idempotent: true }),
  decline: (id: string) => request<Match>('POST', `/matches/${id}/decline`, undefined, { idempotent: true }),
  transition: (id: string, body: MatchPatch) => request<Match>('PATCH', `/matches/${id}`, body),

  coverage: () => request<Coverage>('GET', '/metrics/coverage'),
  coverageHistory: (p: { days?: number; category?: string; region?: string } = {}) => request<CoverageHistory>('GET', `/metrics/coverage/history${q(p)}`),

  certifications: (organizationId?: string) => request<{ items: CertificationRecord[] }>('GET', `/certifications${q({ organizationId })}`),
  certificationDetails: (certification: string, body: CertificationDetails) => request<CertificationRecord>('PATCH', `/certifications/mine/${certification}`, body),
  /** Uploads evidence (PDF, PNG or JPEG) with the certificate's details: the record becomes `submitted`. */
  uploadEvidence: (certification: string, file: File, fields: Partial<CertificationDetails>) => {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) if (v) body.append(k, v);
    body.append('file', file);
    return request<CertificationRecord>('POST', `/certifications/mine/${certification}/evidence`, body);
  },
  certificationQueue: (state = 'submitted') => request<{ items: CertificationRecord[]; total: number }>('GET', `/certifications/queue${q({ state })}`),
  verifyCertification: (id: string) => request<CertificationRecord>('POST', `/certifications/${encodeURIComponent(id)}/verify`, {}),
  rejectCertification: (id: string, reason: string) => request<CertificationRecord>('POST', `/certifications/${encodeURIComponent(id)}/reject`, { reason }),
  supplierProfile: (orgId: string) => request<SupplierProfile>('GET', `/suppliers/${orgId}/profile`),
  trustStatus: () => request<TrustStatus>('GET', '/trust/status'),

  /** Posts a CSV or .xlsx file of postings: all rows or none (row errors in `ApiError.rowDetails`). */
  importFile: (kind: 'offers' | 'demands', file: File, lang: string) => {
    const body = new FormData();
    body.append('file', file);
    return request<ImportResult>('POST', `/import/${kind}?lang=${lang}`, body, { idempotent: true });
  },
  optimize: () => request<OptimizeSummary>('POST', '/allocations/optimize'),
};
