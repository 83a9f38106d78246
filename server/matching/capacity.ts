import { DAY_MS } from './eligibility';

/**
 * How capacity is counted, in one place. A production line makes `unitsPerDay` on each whole day of its
 * window, from `max(availableFrom, now)`; lines never lend capacity to each other. A commitment (a proposal
 * or a match) takes units from one line and is due at the demand's deadline minus the transit days. A set of
 * commitments fits a line exactly when, for every due date t, the line-days due by t are no more than the
 * days the line works by t (earliest due date first: exact for one line). Units of a category made by
 * conversion run at the converted rate, so commitments are counted in line-days: units / rate.
 */

export interface LineWindow {
  /** ms */
  from: number;
  /** ms */
  to: number;
}

export interface Commitment {
  /** Line-days it takes: units / rate. */
  days: number;
  /** When it must be made (ms). */
  due: number;
}

/** Whole days a line works in its window from `now` up to `t` (an hour of slack, as eligibility allows). */
export function daysBy(w: LineWindow, now: number, t: number): number {
  const start = Math.max(w.from, now);
  const end = Math.min(w.to, t);
  return end <= start ? 0 : Math.max(0, Math.floor((end - start) / DAY_MS + 1 / 24));
}

/** Commitments past due still have to be made: they count as due now. Earliest due first (a list already so is read as it is). */
function normalized(commitments: readonly Commitment[], now: number): readonly Commitment[] {
  let ready = true;
  for (let i = 0; i < commitments.length && ready; i++) ready = commitments[i].due >= now && (i === 0 || commitments[i].due >= commitments[i - 1].due);
  if (ready) return commitments;
  return commitments.map((c) => ({ days: c.days, due: Math.max(c.due, now) })).sort((a, b) => a.due - b.due);
}

/** Where a set of commitments does not fit, if anywhere: the first due date t with more due than made. */
export function overflow(w: LineWindow, now: number, commitments: readonly Commitment[]): { due: number; made: number; promised: number } | null {
  let cum = 0;
  const list = normalized(commitments, now);
  for (let i = 0; i < list.length; i++) {
    cum += list[i].days;
    if (i + 1 < list.length && list[i + 1].due === list[i].due) continue;
    const made = daysBy(w, now, list[i].due);
    if (cum > made + 1e-9) return { due: list[i].due, made, promised: cum - list[i].days };
  }
  return null;
}

/** Whether the commitments fit the line. */
export function fits(w: LineWindow, now: number, commitments: readonly Commitment[]): boolean {
  return overflow(w, now, commitments) === null;
}

/**
 * The most line-days one more commitment due at `due` can take so that the line still fits: the least slack
 * over every due date from `due` on (slack at t = days made by t − days due by t).
 */
export function maxAddableDays(w: LineWindow, now: number, commitments: readonly Commitment[], due: number): number {
  const d = Math.max(due, now);
  const list = normalized(commitments, now);
  let cumBefore = 0;
  for (const c of list) if (c.due <= d) cumBefore += c.days;
  let best = daysBy(w, now, d) - cumBefore;
  let cum = cumBefore;
  for (const c of list) {
    if (c.due <= d) continue;
    cum += c.days;
    best = Math.min(best, daysBy(w, now, c.due) - cum);
  }
  return Math.max(0, best);
}

/** The most units at `rate` a line can still promise for `due` (whole units). */
export function maxAddableUnits(w: LineWindow, now: number, commitments: readonly Commitment[], due: number, rate: number): number {
  return Math.max(0, Math.floor(maxAddableDays(w, now, commitments, due) * rate + 1e-6));
}

/**
 * A line's day-by-day output (`days[k]` made on day k) with commitments that stay as they are (`dueBy[k]` units
 * due by day k) taken out, as the output left for new commitments: new units due by day k fit exactly when they
 * and the kept ones due by any later day are made by that day, so what is left by day k is the least, over days
 * from k on, of made minus kept due — never below 0. The result's cumulative sums are that least; its entries are
 * what each day adds to it (the network's supply for the line, as exact as the per-line check).
 */
export function outputLeft(days: readonly number[], dueBy: readonly number[]): number[] {
  const left = new Array<number>(days.length);
  let made = 0;
  let due = 0;
  for (let k = 0; k < days.length; k++) left[k] = (made += days[k]) - (due += dueBy[k] ?? 0);
  let least = Infinity;
  for (let k = days.length - 1; k >= 0; k--) left[k] = least = Math.max(0, Math.min(least, left[k]));
  for (let k = days.length - 1; k > 0; k--) left[k] -= left[k - 1];
  return left;
}
