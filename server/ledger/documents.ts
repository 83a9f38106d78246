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
    category: m.category,
    region: m.region,
    supplierRegion: m.supplierRegion,
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

export function offerDocOf(o: Offer, seq: number) {
  return {
    _id: oid(o.id),
    organization: oid(o.organizationId),
    organizationName: o.organizationName,
    region: o.region,
    products: o.products,
    capabilities: o.capabilities,
    certifications: o.certifications,
    availableFrom: new Date(o.availableFrom),
    availableTo: new Date(o.availableTo),
    location: o.location,
    minOrderUnits: o.minOrderUnits,
    pricePerUnit: o.pricePerUnit,
    conversionLeadDays: o.conversionLeadDays,
    totalUnits: o.totalUnits,
    reservedUnits: o.reservedUnits,
    deliveredUnits: o.deliveredUnits,
    status: o.status,
    version: o.version,
    createdAt: new Date(o.createdAt),
    updatedAt: new Date(o.updatedAt),
    seq,
  };
}

export function demandDocOf(d: Demand, seq: number) {
  return {
    _id: oid(d.id),
    organization: oid(d.organizationId),
    organizationName: d.organizationName,
    region: d.region,
    category: d.category,
    quantity: d.quantity,
    deadline: new Date(d.deadline),
    deliveryLocation: d.deliveryLocation,
    requiredCertifications: d.requiredCertifications,
    maxPricePerUnit: d.maxPricePerUnit,
    priority: d.priority,
    confirmedUnits: d.confirmedUnits,
    deliveredUnits: d.deliveredUnits,
    status: d.status,
    version: d.version,
    createdAt: new Date(d.createdAt),
    updatedAt: new Date(d.updatedAt),
    seq,
  };
}

export function matchDocOf(m: Match, seq: number) {
  return {
    _id: oid(m.id),
    demand: oid(m.demandId),
    offer: oid(m.offerId),
    buyerOrg: oid(m.buyerOrgId),
    supplierOrg: oid(m.supplierOrgId),
    buyerOrgName: m.buyerOrgName,
    supplierOrgName: m.supplierOrgName,
    category: m.category,
    region: m.region,
    supplierRegion: m.supplierRegion,
    priority: m.priority,
    units: m.units,
    score: m.score,
    explanation: m.explanation,
    status: m.status,
    source: m.source,
    buyerAcceptedAt: date(m.buyerAcceptedAt),
    supplierAcceptedAt: date(m.supplierAcceptedAt),
    history: m.history.map((h) => ({ ...h, at: new Date(h.at) })),
    line: m.line,
    dueAt: m.dueAt ? new Date(m.dueAt) : null,
    expiresAt: m.expiresAt ? new Date(m.expiresAt) : null,
    lapsedBy: m.lapsedBy,
    version: m.version,
    createdAt: new Date(m.createdAt),
    updatedAt: new Date(m.updatedAt),
    seq,
  };
}

