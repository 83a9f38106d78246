import { BarChart, LineChart, type BarSeriesOption, type LineSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, type GridComponentOption, type LegendComponentOption, type TooltipComponentOption } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

// only what the board draws: horizontal stacked bars, on canvas
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type Option = echarts.ComposeOption<BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption>;

export interface StackSeries {
  name: string;
  color: string;
  /** null: no data that day (not drawn) */
  values: (number | null)[];
}

/** A chart of named series over labels (categories or days), drawn again whole on each update. */
export interface SeriesChart {
  update(labels: string[], series: StackSeries[], format: (n: number) => string): void;
  dispose(): void;
}
export type CoverageChart = SeriesChart;
export type DayChart = SeriesChart;
export type HistoryChart = SeriesChart;

/** An echarts canvas in `host` that follows its size; `build` makes the whole option for each update (the font and animation are the board's). */
function mountChart(host: HTMLElement, build: (labels: string[], series: StackSeries[], format: (n: number) => string) => Option): SeriesChart {
  const chart = echarts.init(host, undefined, { renderer: 'canvas' });
  const ro = new ResizeObserver(() => chart.resize());
  ro.observe(host);
  return {
    update(labels, series, format) {
      chart.setOption({ animationDuration: 300, textStyle: { fontFamily: FONT }, ...build(labels, series, format) }, { notMerge: true });
    },
    dispose() {
      ro.disconnect();
      chart.dispose();
    },
  };
}

/** The legend in the chart's top left corner, with symbols of this size. */
const legendAtTop = (itemWidth: number, itemHeight: number): LegendComponentOption => ({ top: 0, left: 0, itemWidth, itemHeight, textStyle: { fontSize: 12 } });

const FONT = 'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';

/** A horizontal stacked bar chart, one bar per category; resizes with its container. */
export function createCoverageChart(host: HTMLElement): CoverageChart {
  return mountChart(host, (categories, series, format) => {
    const narrow = host.clientWidth < 520;
    return {
      grid: { left: 8, right: 24, top: narrow ? 56 : 36, bottom: 8, containLabel: true },
      legend: legendAtTop(12, 10),
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (v) => format(Number(v)),
      },
      xAxis: { type: 'value', splitNumber: narrow ? 3 : 5, axisLabel: { formatter: (v: number) => format(v), fontSize: 11, hideOverlap: true }, splitLine: { lineStyle: { color: '#eee' } } },
      yAxis: {
        type: 'category',
        inverse: true,
        data: categories,
        // on a narrow screen a long name wraps onto two lines instead of being cut
        axisLabel: { fontSize: narrow ? 11 : 12, width: narrow ? 104 : 170, overflow: narrow ? 'break' : 'truncate', lineHeight: 13 },
        axisTick: { show: false },
      },
      series: series.map((s) => ({
        type: 'bar',
        name: s.name,
        stack: 'total',
        data: s.values,
        itemStyle: { color: s.color },
        barMaxWidth: 18,
        emphasis: { focus: 'series' },
      })),
    };
  });
}

/** A vertical stacked bar chart, one bar per day (a production line's output over time); resizes with its container. */
export function createDayChart(host: HTMLElement): DayChart {
  return mountChart(host, (days, series, format) => {
    return {
      grid: { left: 4, right: 8, top: 30, bottom: 4, containLabel: true },
      legend: legendAtTop(12, 10),
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (v) => format(Number(v)),
      },
      xAxis: {
        type: 'category',
        data: days,
        axisLabel: { fontSize: 11, hideOverlap: true },
        axisTick: { show: false },
      },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format(v), fontSize: 11 }, splitLine: { lineStyle: { color: '#eee' } } },
      series: series.map((s) => ({
        type: 'bar',
        name: s.name,
        stack: 'day',
        data: s.values,
        itemStyle: { color: s.color },
        barMaxWidth: 22,
        barCategoryGap: '20%',
        emphasis: { focus: 'series' },
      })),
    };
  });
}

/** Lines over days (coverage history: demanded, proposed, confirmed, delivered, short); resizes with its container. */
export function createHistoryChart(host: HTMLElement): HistoryChart {
  return mountChart(host, (days, series, format) => {
    const narrow = host.clientWidth < 520;
    return {
      grid: { left: 4, right: 16, top: narrow ? 56 : 34, bottom: 4, containLabel: true },
      legend: legendAtTop(14, 8),
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined || v === '-' ? '–' : format(Number(v))) },
      xAxis: { type: 'category', data: days, boundaryGap: false, axisLabel: { fontSize: 11, hideOverlap: true } },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format(v), fontSize: 11 }, splitLine: { lineStyle: { color: '#eee' } } },
      series: series.map((s) => ({
        type: 'line',
        name: s.name,
        data: s.values,
        // a line of one or two known days (the rest no data) is drawn as dots, or it would not show
        showSymbol: days.length <= 14 || s.values.filter((v) => v !== null).length <= 2,
        lineStyle: { width: 2, color: s.color },
        itemStyle: { color: s.color },
      })),
    };
  });
}
