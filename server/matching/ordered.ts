/**
 * Inserts `item` into `list`, which is kept in `cmp` order (an item goes after those it ties with), holding at most
 * `limit` items: the last one drops out, or `item` is not taken when it would fall past the limit. For the short
 * lists the planner keeps (its best few offers or demands), one pass instead of sorting them all.
 */
export function insertInOrder<T>(list: T[], item: T, cmp: (a: T, b: T) => number, limit = Infinity): void {
  let i = list.length;
  while (i > 0 && cmp(list[i - 1], item) > 0) i--;
  if (i >= limit) return;
  if (list.length < limit) list.push(item);
  for (let j = list.length - 1; j > i; j--) list[j] = list[j - 1];
  list[i] = item;
}
