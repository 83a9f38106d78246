/**
 * The columns of an import file, per kind: the id (the header, stable across languages), a label and a
 * description in English and Chinese (templates and errors), and how a cell becomes part of the input that
 * the API's own zod schema (OfferInputSchema / DemandInputSchema) then validates.
 */
export type Lang = 'en' | 'zh';
export type Kind = 'offers' | 'demands';
export type Cell = string | number | boolean | Date | null | undefined;

type CellKind = 'text' | 'number' | 'list' | 'dateStart' | 'dateEnd';

export interface Column {
  id: string;
  type: CellKind;
  required: boolean;
  label: Record<Lang, string>;
  help: Record<Lang, string>;
  example: string | number;
}

const c = (id: string, type: CellKind, required: boolean, en: string, zh: string, helpEn: string, helpZh: string, example: string | number): Column => ({
  id, type, required, label: { en, zh }, help: { en: helpEn, zh: helpZh }, example,
});

const ORG = c('organizationId', 'text', false, 'Organization id', '机构编号',
  'Coordinators only: the id of the organization the row is posted for (leave empty when posting for your own organization)',
  '仅协调员填写：代为发布的机构编号（为本机构发布时留空）', '');

export const columns: Record<Kind, Column[]> = {
  offers: [
    ORG,
    c('category', 'text', true, 'Product category', '产品品类', 'Catalog id of the product, e.g. protective-gown', '目录中的品类编号，如 protective-gown', 'protective-gown'),
    c('unitsPerDay', 'number', true, 'Units per day', '日产量', 'Whole units a day, in the category\'s unit', '每日产量（按品类单位，整数）', 1000),
    c('capabilities', 'list', false, 'Capabilities', '生产能力', 'Catalog ids separated by ";", e.g. sewing;heat-sealing', '能力编号，用分号分隔，如 sewing;heat-sealing', 'sewing;heat-sealing'),
    c('certifications', 'list', false, 'Certifications', '资质认证', 'Catalog ids separated by ";"', '认证编号，用分号分隔', 'iso-13485;gb-19082'),
    c('availableFrom', 'dateStart', true, 'Available from', '可供起始日', 'YYYY-MM-DD (from the start of that day, China time) or an ISO date-time', 'YYYY-MM-DD（当日零点，北京时间）或 ISO 日期时间', '2026-12-01'),
    c('availableTo', 'dateEnd', true, 'Available to', '可供截止日', 'YYYY-MM-DD (to the end of that day, China time) or an ISO date-time', 'YYYY-MM-DD（含当日，北京时间）或 ISO 日期时间', '2026-12-31'),
    c('lat', 'number', false, 'Latitude', '纬度', 'Where the goods are made; empty: the organization\'s location', '生产地点纬度；留空则用机构所在地', 30.59),
    c('lng', 'number', false, 'Longitude', '经度', 'With lat', '与纬度一起填写', 114.31),
    c('minOrderUnits', 'number', false, 'Minimum order', '最小起订量', 'Units', '单位数量', 100),
    c('pricePerUnit', 'number', false, 'Price per unit (CNY)', '单价（元）', 'CNY', '人民币元', 10),
    c('conversionLeadDays', 'number', false, 'Conversion days', '转产天数', 'Days to convert lines to another product', '转产所需天数', 0),
    c('offerRef', 'text', false, 'Offer reference', '产能编号',
      'Rows with the same reference are ONE offer with a product line per row: the first row gives the offer\'s other columns, the next ones category and unitsPerDay (other cells empty or the same). Empty: the row is an offer of its own',
      '编号相同的行是同一条产能发布，每行一条产线：第一行填写其他各列，其余行只填品类和日产量（其他列留空或与第一行相同）。留空则该行单独成为一条发布', 'line-A'),
  ],
  demands: [
    ORG,
    c('category', 'text', true, 'Product category', '产品品类', 'Catalog id of the product, e.g. surgical-mask', '目录中的品类编号，如 surgical-mask', 'surgical-mask'),
    c('quantity', 'number', true, 'Quantity', '需求数量', 'Whole units, in the category\'s unit', '数量（按品类单位，整数）', 50000),
    c('deadline', 'dateEnd', true, 'Deadline', '截止日期', 'YYYY-MM-DD (to the end of that day, China time) or an ISO date-time', 'YYYY-MM-DD（含当日，北京时间）或 ISO 日期时间', '2026-12-31'),
    c('deliveryLat', 'number', true, 'Delivery latitude', '交付地纬度', 'Where the goods go', '交付地点纬度', 30.6),
    c('deliveryLng', 'number', true, 'Delivery longitude', '交付地经度', 'With deliveryLat', '与交付地纬度一起填写', 114.3),
    c('requiredCertifications', 'list', false, 'Required certifications', '要求资质', 'Catalog ids separated by ";"', '认证编号，用分号分隔', 'nmpa-registration'),
    c('maxPricePerUnit', 'number', false, 'Maximum price per unit (CNY)', '最高单价（元）', 'CNY', '人民币元', 1.5),
    c('priority', 'text', false, 'Priority', '紧急程度', 'critical, high or normal (default normal)', 'critical、high 或 normal（默认 normal）', 'high'),
  ],
};

/** Finds the column a header names: its id, its label in either language, or "label (id)". */
export function columnOf(kind: Kind, header: string): Column | undefined {
  const h = header.trim();
  const inParens = /\(([\w-]+)\)\s*$/.exec(h)?.[1];
  const key = (inParens ?? h).toLowerCase();
  return columns[kind].find((col) => col.id.toLowerCase() === key || col.label.en.toLowerCase() === key || col.label.zh === h);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function text(v: Cell): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** A cell as the value the input takes (dates as ISO date-times, numbers, lists), undefined when empty. */
export function cellValue(col: Column, v: Cell): unknown {
  if (col.type === 'dateStart' || col.type === 'dateEnd') {
    // a spreadsheet date is a day (exceljs gives midnight UTC): whole days, China time
    const day = v instanceof Date ? v.toISOString().slice(0, 10) : text(v);
    if (day === undefined) return undefined;
    if (!DATE_ONLY.test(day)) return day;
    return col.type === 'dateStart' ? `${day}T00:00:00+08:00` : `${day}T23:59:59+08:00`;
  }
  const s = text(v);
  if (s === undefined) return undefined;
  if (col.type === 'number') {
    if (typeof v === 'number') return v;
    const n = Number(s.replace(/[,\s]/g, ''));
    return Number.isFinite(n) && s !== '' ? n : s;
  }
  if (col.type === 'list') return s.split(/[;,；，\s]+/).map((x) => x.trim()).filter(Boolean);
  return s;
}

/** A row's cells (by column id) as the API input of its kind, and the organization and offer reference columns. */
export function toInput(kind: Kind, cells: Map<string, Cell>): { organizationId?: string; offerRef?: string; input: Record<string, unknown> } {
  const v: Record<string, unknown> = {};
  for (const col of columns[kind]) {
    const x = cellValue(col, cells.get(col.id));
    if (x !== undefined) v[col.id] = x;
  }
  const organizationId = v.organizationId as string | undefined;
  delete v.organizationId;
  if (kind === 'offers') {
    const { category, unitsPerDay, lat, lng, capabilities, offerRef, ...rest } = v;
    const input: Record<string, unknown> = { ...rest, products: [{ category, unitsPerDay }], capabilities: capabilities ?? [] };
    if (lat !== undefined || lng !== undefined) input.location = { lat, lng };
    return { organizationId, offerRef: offerRef as string | undefined, input };
  }
  const { deliveryLat, deliveryLng, ...rest } = v;
  return { organizationId, input: { ...rest, deliveryLocation: { lat: deliveryLat, lng: deliveryLng } } };
}

/** The column an issue of the input schema is about (`products.0.unitsPerDay` -> unitsPerDay). */
export function columnOfPath(kind: Kind, path: PropertyKey[]): string {
  const p = path.map(String);
  if (kind === 'offers') {
    if (p[0] === 'products') return p[2] ?? 'category';
    if (p[0] === 'location') return p[1] ?? 'lat';
  } else if (p[0] === 'deliveryLocation') return p[1] === 'lng' ? 'deliveryLng' : 'deliveryLat';
  return p[0] ?? '';
}
