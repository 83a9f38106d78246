import { h } from './dom';
import type * as Echarts from './echarts';
import { fmtInt } from './i18n';

export type { CoverageChart, DayChart, HistoryChart, StackSeries } from './echarts';

let echartsModule: Promise<typeof Echarts> | null = null;
/** The echarts-based charts, loaded on first use (a workspace without a chart never downloads echarts). */
export function loadCharts(): Promise<typeof Echarts> {
  return (echartsModule ??= import('./echarts'));
}

/** A stacked bar of parts of a whole, with a legend; each part carries its number for tests. */
export function stackBar(
  parts: { key: string; label: string; value: number; cls: string }[],
  total: number,
  testid: string,
  format: (n: number) => string = fmtInt,
): HTMLElement {
  const safe = Math.max(total, 1);
  return h(
    'div',
    { class: 'stack', testid, dataset: Object.fromEntries([['total', total], ...parts.map((p) => [p.key, p.value])]) },
    h(
      'div',
      { class: 'stack-bar', attrs: { 'aria-hidden': 'true' } },
      parts.map((p) => (p.value > 0 ? h('span', { class: `seg ${p.cls}`, style: `width:${Math.max(0.8, (p.value / safe) * 100).toFixed(2)}%` }) : null)),
    ),
    h(
      'ul',
      { class: 'stack-legend' },
      parts.map((p) => h('li', { dataset: { part: p.key } }, h('span', { class: `swatch ${p.cls}`, attrs: { 'aria-hidden': 'true' } }), `${p.label} `, h('strong', null, format(p.value)))),
    ),
  );
}
