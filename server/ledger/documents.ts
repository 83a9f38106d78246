import mongoose from 'mongoose';
import type { Demand } from '../../models/demand.schema';
import type { DemandDoc } from '../../models/demand.model';
import type { Match } from '../../models/match.schema';
import type { MatchDoc } from '../../models/match.model';
import type { Offer } from '../../models/offer.schema';
import type { OfferDoc } from '../../models/offer.model';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/**
 * Conversions between the ledger's entities (the public shapes) and the projected documents (ObjectIds
 * and Dates, as the Mongoose models store them).
 */

/** The public shape of a stored offer; `proposedUnits` comes from the ledger's state. */
export function toOfferDto(o: OfferDoc, proposedUnits: number): Offer {
  return {
    id: String(o._id),
    organizationId: String(o.organization),
    organizationName: o.organizationName,
    region: o.region,
    products: o.products.map((p) => ({ category: p.category, unitsPerDay: p.unitsPerDay })),
    capabilities: [...o.capabilities],
    certifications: [...o.certifications],
    availableFrom: iso(o.availableFrom)!,
    availableTo: iso(o.availableTo)!,
    location: { lat: o.location.lat, lng: o.location.lng },
    minOrderUnits: o.minOrderUnits ?? 1,
    pricePerUnit: o.pricePerUnit ?? null,
    conversionLeadDays: o.conversionLeadDays ?? 0,
    totalUnits: o.totalUnits,
    reservedUnits: o.reservedUnits ?? 0,
    deliveredUnits: o.deliveredUnits ?? 0,
    remainingUnits: o.totalUnits - (o.reservedUnits ?? 0),
    proposedUnits: o.status === 'open' ? proposedUnits : 0,
    status: o.status as Offer['status'],
    version: o.version ?? 0,
    createdAt: iso(o.createdAt)!,
    updatedAt: iso(o.updatedAt)!,
  };
}

export function toDemandDto(d: DemandDoc, proposedUnits: number): Demand {
  return {
    id: String(d._id),
    organizationId: String(d.organization),
    organizationName: d.organizationName,
    region: d.region,
    category: d.category,
    quantity: d.quantity,
    deadline: iso(d.deadline)!,
    deliveryLocation: { lat: d.deliveryLocation.lat, lng: d.deliveryLocation.lng },
    requiredCertifications: [...d.requiredCertifications],
    maxPricePerUnit: d.maxPricePerUnit ?? null,
    priority: d.priority as Demand['priority'],
    confirmedUnits: d.confirmedUnits ?? 0,
    deliveredUnits: d.deliveredUnits ?? 0,
    proposedUnits: d.status === 'open' ? proposedUnits : 0,
    remainingUnits: d.quantity - (d.confirmedUnits ?? 0),
    status: d.status as Demand['status'],
    version: d.version ?? 0,
    createdAt: iso(d.createdAt)!,
    updatedAt: iso(d.updatedAt)!,
  };
}

export function toMatchDto(m: MatchDoc): Match {
  return {
    id: String(m._id),
    demandId: String(m.demand),
    offerId: String(m.offer),
    buyerOrgId: String(m.buyerOrg),
    supplierOrgId: String(m.supplierOrg),
    buyerOrgName: m.buyerOrgName,
    supplierOrgName: m.supplierOrgName,
    ...(m.buyerOrgNameZh ? { buyerOrgNameZh: m.buyerOrgNameZh } : {}),
    ...(m.supplierOrgNameZh ? { supplierOrgNameZh: m.supplierOrgNameZh } : {}),
    category: m.category,
    region: m.region,
    supplierRegion: m.supplierRegion,
    ...(m.deliveryRegion ? { deliveryRegion: m.deliveryRegion } : {}),
    priority: m.priority,
    units: m.units,
    score: m.score,
    explanation: m.explanation,
    status: m.status,
    source: (m.source ?? 'incremental') as Match['source'],
    buyerAcceptedAt: iso(m.buyerAcceptedAt),
    supplierAcceptedAt: iso(m.supplierAcceptedAt),
    history: (m.history ?? []).map((h) => ({
      status: h.status as Match['status'],
      actorId: h.actorId ?? null,
      actorRole: h.actorRole,
      at: iso(h.at)!,
      ...(h.note ? { note: h.note } : {}),
    })),
    ...(m.line !== undefined && m.line !== null ? { line: m.line } : {}),
    ...(m.dueAt ? { dueAt: iso(m.dueAt)! } : {}),
    ...(m.expiresAt ? { expiresAt: iso(m.expiresAt)! } : {}),
    ...(m.lapsedBy ? { lapsedBy: m.lapsedBy } : {}),
    version: m.version ?? 0,
    createdAt: iso(m.createdAt)!,
    updatedAt: iso(m.updatedAt)!,
  };
}

export const oid = (id: string) => new mongoose.Types.ObjectId(id);
const date = (s: string | null) => (s ? new Date(s) : null);

/** The ids that become ObjectIds, the dates that become Dates; the rest is stored as it is. */
const stamps = (x: { createdAt: string; updatedAt: string }, seq: number) => ({ createdAt: new Date(x.createdAt), updatedAt: new Date(x.updatedAt), seq });

export function offerDocOf(o: Offer, seq: number) {
  // remaining and proposed units are derived from the state, never stored
  // remaining, proposed units and the stages are derived from the state, never stored
  const { id, organizationId, availableFrom, availableTo, remainingUnits, proposedUnits, stages, organizationNameZh, createdAt, updatedAt, ...rest } = o;
  void remainingUnits;
  void proposedUnits;
  void stages;
  void organizationNameZh;
  return { _id: oid(id), organization: oid(organizationId), ...rest, availableFrom: new Date(availableFrom), availableTo: new Date(availableTo), ...stamps({ createdAt, updatedAt }, seq) };
}

export function demandDocOf(d: Demand, seq: number) {
  const { id, organizationId, deadline, remainingUnits, proposedUnits, shortUnits, deliveryRegion, stages, organizationNameZh, createdAt, updatedAt, ...rest } = d;
  void remainingUnits;
  void proposedUnits;
  void shortUnits;
  void deliveryRegion;
  void stages;
  void organizationNameZh;
  return { _id: oid(id), organization: oid(organizationId), ...rest, deadline: new Date(deadline), ...stamps({ createdAt, updatedAt }, seq) };
}

export function matchDocOf(m: Match, seq: number) {
  const { id, demandId, offerId, buyerOrgId, supplierOrgId, buyerAcceptedAt, supplierAcceptedAt, history, dueAt, expiresAt, createdAt, updatedAt, ...rest } = m;
  return {
    _id: oid(id),
    demand: oid(demandId),
    offer: oid(offerId),
    buyerOrg: oid(buyerOrgId),
    supplierOrg: oid(supplierOrgId),
    ...rest,
    buyerAcceptedAt: date(buyerAcceptedAt),
    supplierAcceptedAt: date(supplierAcceptedAt),
    history: history.map((h) => ({ ...h, at: new Date(h.at) })),
    dueAt: date(dueAt ?? null),
    expiresAt: date(expiresAt ?? null),
    ...stamps({ createdAt, updatedAt }, seq),
  };
}
