import type { LatLng } from '../../models/common.schema';

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance in km (haversine). */
export function distanceKm(a: LatLng, b: LatLng): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Road freight covers about 600 km a day in China (express trucking with two drivers does more; we stay
 * conservative), and a delivery within 100 km is taken as same-day.
 */
export const TRANSIT_KM_PER_DAY = 600;

/** Whole days a shipment needs over `km`. */
export function transitDays(km: number): number {
  return km <= 100 ? 0 : Math.ceil(km / TRANSIT_KM_PER_DAY);
}
