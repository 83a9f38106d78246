import type { LatLng, Priority } from '../../models/common.schema';

/** What matching knows of one certification of a supplier: its state and validity (ms, null when not given). */
export interface CertStatus {
  state: 'claimed' | 'submitted' | 'verified' | 'rejected';
  validFrom: number | null;
  validUntil: number | null;
}

/** An open capacity offer as the matching engine sees it (plain data, times in ms). */
export interface OfferView {
  id: string;
  orgId: string;
  orgName: string;
  /** The organization's name in Chinese (its name when it has none). */
  orgNameZh?: string;
  region: string;
  location: LatLng;
  products: { category: string; unitsPerDay: number }[];
  capabilities: string[];
  /** The organization's and the offer's certifications together. */
  certifications: string[];
  /**
   * Each certification's verification state (server/trust): a required one counts only when verified and valid
   * on the due date. Absent (views built by hand, as in the engine's unit tests): the ticked ones count as verified.
   */
  certificationStatus?: Record<string, CertStatus>;
  availableFrom: number;
  availableTo: number;
  minOrderUnits: number;
  pricePerUnit: number | null;
  conversionLeadDays: number;
  /** Units not yet reserved by confirmed matches. */
  remainingUnits: number;
  /** Supplier reliability in [0,1] from past outcomes. */
  reliability: number;
  reliabilityBasis: { confirmed: number; delivered: number; cancelled: number; lapsed?: number; late?: number };
  version: number;
}

/** An open demand as the matching engine sees it. */
export interface DemandView {
  id: string;
  orgId: string;
  orgName: string;
  orgNameZh?: string;
  region: string;
  category: string;
  quantity: number;
  /** Units not yet covered by confirmed matches. */
  remainingUnits: number;
  deadline: number;
  deliveryLocation: LatLng;
  /** The province of the delivery place (nearest provincial capital). */
  deliveryRegion: string;
  requiredCertifications: string[];
  maxPricePerUnit: number | null;
  priority: Priority;
  version: number;
}
