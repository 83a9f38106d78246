import { catalog, findCategory, type Category, type Sector } from '../../models/catalog';
import { provinces, type Province } from '../../models/provinces';

/**
 * Deterministic demo scenario: supplier and buyer organizations with their offers and demands,
 * generated from a seed. No database, no Node APIs, no Math.random.
 */

export interface ScenarioOrganization {
  key: string;
  name: string;
  /** The same name in Chinese. */
  nameZh: string;
  role: 'supplier' | 'buyer';
  /** Province id, e.g. 'Hubei'. */
  region: string;
  location: { lat: number; lng: number };
  certifications: string[];
  verified: boolean;
}

export interface ScenarioOffer {
  orgKey: string;
  /** What the factory makes today, at its usual daily output. */
  products: { category: string; unitsPerDay: number }[];
  capabilities: string[];
  availableFrom: string;
  availableTo: string;
  location: { lat: number; lng: number };
  minOrderUnits: number;
  /** CNY per unit of the first product; for a converting factory, its quote for the product it converts to. */
  pricePerUnit: number;
  /** For a converting factory, the catalog conversion days of the product it is set up to switch to; otherwise 0. */
  conversionLeadDays: number;
  certifications: string[];
}

export interface ScenarioDemand {
  orgKey: string;
  category: string;
  quantity: number;
  deadline: string;
  deliveryLocation: { lat: number; lng: number };
  requiredCertifications: string[];
  maxPricePerUnit: number;
  priority: 'critical' | 'high' | 'normal';
}

export interface Scenario {
  organizations: ScenarioOrganization[];
  offers: ScenarioOffer[];
  demands: ScenarioDemand[];
}

export interface BuildScenarioOptions {
  seed: number;
  now: Date;
  suppliers?: number;
  buyers?: number;
  offers?: number;
  demands?: number;
}

export type BalanceStatus = 'short' | 'surplus' | 'balanced';

export interface CategorySummary {
  category: string;
  sector: Sector;
  unit: string;
  demands: number;
  /** Total units demanded. */
  demandUnits: number;
  offers: number;
  /** Units offered directly over each offer's window (unitsPerDay x window days). */
  supplyUnits: number;
  /** Units that factories not making the category could add by converting (after the conversion days). */
  conversionUnits: number;
  /** demandUnits / supplyUnits; null when nothing is offered. */
  ratio: number | null;
  status: BalanceStatus;
}

export const scenarioDefaults = { suppliers: 220, buyers: 110, offers: 330, demands: 330 } as const;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

interface Rng {
  next(): number;
  uniform(min: number, max: number): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(items: readonly T[], weight: (item: T) => number): T;
  shuffle<T>(items: T[]): T[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function createRng(seed: number): Rng {
  const next = mulberry32(Math.floor(seed) ^ 0x5f3759df);
  const rng: Rng = {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    weighted(items, weight) {
      const total = items.reduce((sum, item) => sum + weight(item), 0);
      let r = next() * total;
      for (const item of items) {
        r -= weight(item);
        if (r < 0) return item;
      }
      return items[items.length - 1];
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
  };
  return rng;
}

/** Splits `total` into integer counts proportional to `weights` (largest remainder). */
function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (sum > 0 ? (w / sum) * total : 0));
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, rem: x - Math.floor(x) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k].i]++;
  return counts;
}

function niceRound(x: number): number {
  if (x >= 100_000) return Math.round(x / 10_000) * 10_000;
  if (x >= 10_000) return Math.round(x / 1_000) * 1_000;
  if (x >= 1_000) return Math.round(x / 100) * 100;
  if (x >= 100) return Math.round(x / 10) * 10;
  return Math.max(1, Math.round(x));
}

function roundPrice(x: number): number {
  const digits = x < 10 ? 100 : x < 100 ? 10 : 1;
  return Math.max(0.01, Math.round(x * digits) / digits);
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** A point uniformly spread over a disc of `radiusKm` around the province capital. */
function jitter(rng: Rng, province: Province, radiusKm: number): { lat: number; lng: number } {
  const r = radiusKm * Math.sqrt(rng.next());
  const theta = rng.uniform(0, 2 * Math.PI);
  const lat = province.capital.lat + (r * Math.cos(theta)) / 111.32;
  const lng = province.capital.lng + (r * Math.sin(theta)) / (111.32 * Math.cos((province.capital.lat * Math.PI) / 180));
  return { lat: round4(Math.max(-90, Math.min(90, lat))), lng: round4(Math.max(-180, Math.min(180, lng))) };
}

/** Manufacturing weight of each province (others get a small default). */
const supplierProvinceWeight: Record<string, number> = {
  Guangdong: 14, Zhejiang: 12, Jiangsu: 12, Shandong: 10, Hubei: 8, Henan: 8, Fujian: 7, Hebei: 6,
  Anhui: 5, Shanghai: 4, Hunan: 4, Jiangxi: 4, Sichuan: 4, Liaoning: 3, Tianjin: 3, Beijing: 2,
  Chongqing: 3, Shaanxi: 2, Guangxi: 2, Shanxi: 1.5, Jilin: 1.5, Heilongjiang: 1, Yunnan: 1, Guizhou: 1,
};
/** Buyer weight of each province: Hubei was the epicentre; the rest roughly follows population. */
const buyerProvinceWeight: Record<string, number> = {
  Hubei: 14, Guangdong: 7, Henan: 5, Zhejiang: 5, Hunan: 4, Beijing: 4, Shanghai: 4, Jiangsu: 4, Shandong: 4,
  Anhui: 3, Sichuan: 3, Jiangxi: 3, Chongqing: 3, Hebei: 3, Fujian: 2, Heilongjiang: 2, Liaoning: 2, Shaanxi: 2,
};

function pickProvince(rng: Rng, weights: Record<string, number>, fallback: number, hubs: readonly string[] = []): Province {
  return rng.weighted(provinces, (p) => (weights[p.id] ?? fallback) * (hubs.includes(p.id) ? 3 : 1));
}

const BRANDS = [
  'Hengtai', 'Xinhua', 'Jiangcheng', 'Huaxin', 'Kangda', 'Ruifeng', 'Jinhai', 'Tianyuan', 'Hongda', 'Yongxing',
  'Shengda', 'Dongfang', 'Zhongxing', 'Lianyi', 'Fuyuan', 'Hengyuan', 'Jiahe', 'Minsheng', 'Anxin', 'Baoli',
  'Chenguang', 'Dahua', 'Defeng', 'Fengyuan', 'Guanghui', 'Haida', 'Hongyun', 'Huamei', 'Jiali', 'Jinlong',
  'Junda', 'Kaiyuan', 'Lida', 'Longsheng', 'Meida', 'Mingyang', 'Nuoxin', 'Qianyuan', 'Ronghua', 'Sanhe',
  'Shenghua', 'Shunfa', 'Taihe', 'Tongda', 'Weiye', 'Wanjia', 'Xinghe', 'Xinyuan', 'Yida', 'Yihe',
  'Yuanda', 'Yuexin', 'Zhengda', 'Zhicheng', 'Zhongtian', 'Ankang', 'Jiankang', 'Kangning', 'Hengkang', 'Renhe',
  'Huakang', 'Yikang', 'Boya', 'Chuangxin', 'Dingsheng', 'Huatai', 'Jintai', 'Kaida', 'Liantai', 'Runfeng',
];

/** The brands in Chinese characters. */
const BRANDS_ZH: Record<string, string> = {
  Hengtai: '恒泰', Xinhua: '新华', Jiangcheng: '江城', Huaxin: '华信', Kangda: '康达', Ruifeng: '瑞丰', Jinhai: '金海', Tianyuan: '天元',
  Hongda: '宏达', Yongxing: '永兴', Shengda: '盛达', Dongfang: '东方', Zhongxing: '中兴', Lianyi: '联谊', Fuyuan: '富源', Hengyuan: '恒源',
  Jiahe: '嘉禾', Minsheng: '民生', Anxin: '安信', Baoli: '宝利', Chenguang: '晨光', Dahua: '大华', Defeng: '德丰', Fengyuan: '丰源',
  Guanghui: '光辉', Haida: '海达', Hongyun: '鸿运', Huamei: '华美', Jiali: '嘉利', Jinlong: '金龙', Junda: '骏达', Kaiyuan: '开元',
  Lida: '立达', Longsheng: '隆盛', Meida: '美达', Mingyang: '明阳', Nuoxin: '诺信', Qianyuan: '乾元', Ronghua: '荣华', Sanhe: '三和',
  Shenghua: '胜华', Shunfa: '顺发', Taihe: '泰和', Tongda: '通达', Weiye: '伟业', Wanjia: '万家', Xinghe: '兴和', Xinyuan: '鑫源',
  Yida: '亿达', Yihe: '怡和', Yuanda: '远大', Yuexin: '悦新', Zhengda: '正大', Zhicheng: '至诚', Zhongtian: '中天', Ankang: '安康',
  Jiankang: '健康', Kangning: '康宁', Hengkang: '恒康', Renhe: '仁和', Huakang: '华康', Yikang: '益康', Boya: '博雅', Chuangxin: '创新',
  Dingsheng: '鼎盛', Huatai: '华泰', Jintai: '金泰', Kaida: '凯达', Liantai: '联泰', Runfeng: '润丰',
};

/** The trades of company names in Chinese. */
const TRADES_ZH: Record<string, string> = {
  'Medical Protective Products': '医用防护用品', 'Medical Supplies': '医疗用品', 'Medical Devices': '医疗器械', 'Health Technology': '健康科技',
  'Sanitary Materials': '卫生材料', 'Protective Equipment': '防护设备', 'Labour Protection Products': '劳保用品', 'Safety Technology': '安全科技',
  'Medical Technology': '医疗科技', 'Medical Textiles': '医用纺织品', 'Protective Products': '防护用品', 'Glove Products': '手套制品',
  'Rubber & Plastic Products': '橡塑制品', 'Medical Gloves': '医用手套', 'Daily Chemical': '日用化学品', Cosmetics: '化妆品',
  'Household Products': '家居用品', 'Disinfection Products': '消毒用品', Biotechnology: '生物技术', 'Hygiene Products': '卫生用品',
  Diagnostics: '诊断技术', 'Bio-Pharmaceutical': '生物医药', 'Plastic Products': '塑料制品', Optical: '光学', 'Safety Products': '安全用品',
  'Medical Electronics': '医疗电子', 'Electronic Technology': '电子科技', 'Sensor Technology': '传感技术', Electronics: '电子',
  'Intelligent Technology': '智能科技', 'Circuit Technology': '电路科技', 'Plastic Packaging': '塑料包装', 'Food Packaging': '食品包装',
  'Packaging Materials': '包装材料', 'Plastic Industry': '塑业', 'Bottle Making': '制瓶', 'Paper Products': '纸制品',
  'Packaging & Printing': '包装印刷', 'Environmental Packaging': '环保包装', 'Auto Parts': '汽车零部件', 'Automotive Electrical Systems': '汽车电器',
  'Wire Harness': '线束', 'Friction Materials': '摩擦材料', 'Brake Systems': '制动系统', 'Automotive Interiors': '汽车内饰',
  'Mould & Plastics': '模塑', Textile: '纺织', 'Cotton Textile': '棉纺', Weaving: '织造', 'Non-woven Fabrics': '无纺布',
  'New Materials': '新材料', 'Hygiene Materials': '卫生材料', 'Melt-blown Materials': '熔喷材料', 'Filtration Technology': '过滤技术',
  Garment: '服装', Apparel: '服饰', Workwear: '工装', 'Textile Products': '纺织品', Knitwear: '针织', Clothing: '制衣', Fashion: '时装',
  Liquor: '酒业', Distillery: '酿酒', 'Wine Industry': '酒业', 'Precision Plastics': '精密塑胶', 'Precision Moulding': '精密成型',
  'Intelligent Manufacturing': '智能制造', Pharmaceutical: '医药', 'Medical Equipment Trading': '医疗设备贸易', 'Labour Protection Supplies': '劳保用品',
  Automobile: '汽车', 'Auto Industry': '汽车工业', 'Commercial Vehicle': '商用车', 'Medical Equipment': '医疗设备',
  'Electronic Appliance': '电器', 'Smart Devices': '智能设备', Food: '食品', Beverage: '饮料', 'Catering Management': '餐饮管理',
  Dairy: '乳业', 'Home Textile': '家纺',
};

const ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth', 'Ninth', 'Tenth'];
const ORDINALS_ZH = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** An organization's name in English and Chinese. */
interface Name {
  en: string;
  zh: string;
}

type NameTemplate = (city: string, brand: string, province: Province) => Name | null;

const cityZh = (p: Province) => (p.capital.zh.endsWith('市') ? p.capital.zh : `${p.capital.zh}市`);
const brandZh = (brand: string) => BRANDS_ZH[brand] ?? brand;

const company = (trade: string): NameTemplate => (city, brand, p) => ({
  en: `${city} ${brand} ${trade} Co., Ltd.`,
  zh: `${p.capital.zh}${brandZh(brand)}${TRADES_ZH[trade] ?? trade}有限公司`,
});

function uniqueName(rng: Rng, used: Set<string>, province: Province, templates: readonly NameTemplate[]): Name {
  const city = province.capital.en;
  for (let attempt = 0; attempt < 60; attempt++) {
    const name = rng.pick(templates)(city, rng.pick(BRANDS), province);
    if (name !== null && !used.has(name.en)) {
      used.add(name.en);
      return name;
    }
  }
  for (let k = 2; ; k++) {
    const base = rng.pick(templates)(city, rng.pick(BRANDS), province);
    const name = base === null ? null : { en: `${base.en} (${k})`, zh: `${base.zh}（${k}）` };
    if (name !== null && !used.has(name.en)) {
      used.add(name.en);
      return name;
    }
  }
}

const TRADES: Record<string, readonly string[]> = {
  'surgical-mask': ['Medical Protective Products', 'Medical Supplies', 'Medical Devices', 'Health Technology'],
  'disposable-medical-mask': ['Medical Supplies', 'Medical Protective Products', 'Sanitary Materials'],
  'kn95-respirator': ['Protective Equipment', 'Labour Protection Products', 'Safety Technology'],
  'n95-medical-respirator': ['Medical Protective Products', 'Medical Devices', 'Medical Technology'],
  'protective-gown': ['Medical Textiles', 'Protective Products', 'Medical Supplies'],
  'protective-coverall': ['Protective Products', 'Medical Textiles', 'Medical Technology'],
  'nitrile-gloves': ['Glove Products', 'Rubber & Plastic Products', 'Medical Gloves'],
  'hand-sanitizer': ['Daily Chemical', 'Cosmetics', 'Household Products'],
  disinfectant: ['Disinfection Products', 'Biotechnology', 'Hygiene Products'],
  'antigen-test-kit': ['Biotechnology', 'Diagnostics', 'Bio-Pharmaceutical'],
  'face-shield': ['Plastic Products', 'Medical Devices', 'Protective Equipment'],
  'medical-goggles': ['Optical', 'Medical Devices', 'Safety Products'],
  'infrared-thermometer': ['Medical Electronics', 'Electronic Technology', 'Sensor Technology'],
  'ventilator-control-board': ['Electronics', 'Intelligent Technology', 'Medical Electronics'],
  'pcb-assembly': ['Electronics', 'Electronic Technology', 'Circuit Technology'],
  'pp-food-container': ['Plastic Packaging', 'Food Packaging', 'Plastic Products'],
  'pet-bottle': ['Packaging Materials', 'Plastic Industry', 'Bottle Making'],
  'paper-food-box': ['Paper Products', 'Packaging & Printing', 'Environmental Packaging'],
  'wire-harness': ['Auto Parts', 'Automotive Electrical Systems', 'Wire Harness'],
  'brake-pad': ['Friction Materials', 'Auto Parts', 'Brake Systems'],
  'interior-trim-part': ['Auto Parts', 'Automotive Interiors', 'Mould & Plastics'],
  'cotton-fabric': ['Textile', 'Cotton Textile', 'Weaving'],
  'nonwoven-fabric': ['Non-woven Fabrics', 'New Materials', 'Hygiene Materials'],
  'meltblown-fabric': ['Melt-blown Materials', 'New Materials', 'Filtration Technology'],
  'work-uniform': ['Garment', 'Apparel', 'Workwear'],
  'cloth-mask': ['Garment', 'Textile Products', 'Knitwear'],
};

/** Provinces where an industry clusters (weight x3). */
const HUBS: Record<string, readonly string[]> = {
  'surgical-mask': ['Hubei', 'Henan', 'Jiangsu'],
  'disposable-medical-mask': ['Hubei', 'Henan', 'Jiangxi'],
  'kn95-respirator': ['Guangdong', 'Jiangsu', 'Zhejiang'],
  'n95-medical-respirator': ['Hubei', 'Henan', 'Shanghai'],
  'protective-gown': ['Hubei', 'Henan', 'Zhejiang'],
  'protective-coverall': ['Hubei', 'Henan', 'Jiangsu'],
  'nitrile-gloves': ['Shandong', 'Hebei', 'Jiangsu'],
  'hand-sanitizer': ['Guangdong', 'Zhejiang', 'Shanghai'],
  disinfectant: ['Shandong', 'Guangdong', 'Jiangsu'],
  'antigen-test-kit': ['Guangdong', 'Zhejiang', 'Beijing'],
  'face-shield': ['Guangdong', 'Zhejiang', 'Fujian'],
  'medical-goggles': ['Jiangsu', 'Zhejiang', 'Guangdong'],
  'infrared-thermometer': ['Guangdong', 'Jiangsu', 'Zhejiang'],
  'ventilator-control-board': ['Guangdong', 'Jiangsu', 'Shanghai'],
  'pcb-assembly': ['Guangdong', 'Jiangsu', 'Zhejiang'],
  'pp-food-container': ['Guangdong', 'Zhejiang', 'Fujian'],
  'pet-bottle': ['Guangdong', 'Jiangsu', 'Shandong'],
  'paper-food-box': ['Zhejiang', 'Guangdong', 'Fujian'],
  'wire-harness': ['Hubei', 'Jilin', 'Chongqing'],
  'brake-pad': ['Shandong', 'Hebei', 'Zhejiang'],
  'interior-trim-part': ['Hubei', 'Jilin', 'Shanghai'],
  'cotton-fabric': ['Jiangsu', 'Shandong', 'Hebei'],
  'nonwoven-fabric': ['Hubei', 'Shandong', 'Zhejiang'],
  'meltblown-fabric': ['Hubei', 'Shandong', 'Jiangsu'],
  'work-uniform': ['Zhejiang', 'Fujian', 'Guangdong'],
  'cloth-mask': ['Zhejiang', 'Fujian', 'Guangdong'],
  garment: ['Guangdong', 'Zhejiang', 'Fujian', 'Jiangsu'],
  liquor: ['Sichuan', 'Guizhou', 'Jiangsu', 'Shandong'],
};

interface SupplierArchetype {
  id: string;
  /** Category the factory makes today. */
  home: string;
  weight: number;
  trades: readonly string[];
  hubs: readonly string[];
  /** Extra capabilities beyond the home category's, each with its probability. */
  extras: readonly (readonly [string, number])[];
  /** Pure "could convert" factories: the conversions they are set up for, first feasible one wins. */
  targets: readonly string[];
  /** A second category sometimes made directly alongside the home one. */
  secondary?: string;
}

/** Direct makers: weight per home category and its usual secondary product. */
const DIRECT_MAKERS: readonly (readonly [string, number, string?])[] = [
  ['surgical-mask', 14, 'disposable-medical-mask'],
  ['disposable-medical-mask', 8, 'surgical-mask'],
  ['kn95-respirator', 4, 'disposable-medical-mask'],
  ['n95-medical-respirator', 3, 'kn95-respirator'],
  ['protective-gown', 3, 'protective-coverall'],
  ['protective-coverall', 3, 'protective-gown'],
  ['nitrile-gloves', 6],
  ['hand-sanitizer', 12, 'disinfectant'],
  ['disinfectant', 6, 'hand-sanitizer'],
  ['antigen-test-kit', 3],
  ['face-shield', 5, 'medical-goggles'],
  ['medical-goggles', 4, 'face-shield'],
  ['infrared-thermometer', 5],
  ['ventilator-control-board', 3],
  ['pcb-assembly', 6],
  ['pp-food-container', 10],
  ['pet-bottle', 7],
  ['paper-food-box', 6],
  ['wire-harness', 7],
  ['brake-pad', 6],
  ['interior-trim-part', 5],
  ['cotton-fabric', 13],
  ['nonwoven-fabric', 7, 'meltblown-fabric'],
  ['meltblown-fabric', 4],
  ['work-uniform', 6, 'cloth-mask'],
  ['cloth-mask', 5, 'work-uniform'],
];

const ARCHETYPES: readonly SupplierArchetype[] = [
  // Pure "could convert" factories first, so that they survive apportioning small totals.
  {
    id: 'garment-factory',
    home: 'work-uniform',
    weight: 16,
    trades: ['Garment', 'Apparel', 'Clothing', 'Fashion'],
    hubs: HUBS.garment,
    extras: [['heat-sealing', 0.85], ['cleanroom-iso8', 0.2]],
    targets: ['protective-coverall', 'protective-gown', 'cloth-mask'],
  },
  {
    id: 'liquor-distillery',
    home: 'disinfectant',
    weight: 6,
    trades: ['Liquor', 'Distillery', 'Wine Industry'],
    hubs: HUBS.liquor,
    extras: [],
    targets: ['hand-sanitizer'],
  },
  {
    id: 'plastics-moulder',
    home: 'pp-food-container',
    weight: 7,
    trades: ['Plastic Products', 'Precision Plastics', 'Mould & Plastics'],
    hubs: HUBS['pp-food-container'],
    extras: [['die-cutting', 0.5]],
    targets: ['face-shield'],
  },
  {
    id: 'auto-moulder',
    home: 'interior-trim-part',
    weight: 5,
    trades: ['Auto Parts', 'Automotive Interiors', 'Precision Moulding'],
    hubs: HUBS['interior-trim-part'],
    extras: [['die-cutting', 0.3]],
    targets: ['face-shield'],
  },
  {
    id: 'nonwoven-converter',
    home: 'nonwoven-fabric',
    weight: 8,
    trades: ['Non-woven Fabrics', 'Hygiene Materials', 'New Materials'],
    hubs: HUBS['nonwoven-fabric'],
    extras: [['ultrasonic-welding', 1]],
    targets: ['surgical-mask'],
  },
  {
    id: 'ems-factory',
    home: 'pcb-assembly',
    weight: 8,
    trades: ['Electronics', 'Electronic Technology', 'Intelligent Manufacturing'],
    hubs: HUBS['pcb-assembly'],
    extras: [['functional-testing', 0.4]],
    targets: ['ventilator-control-board', 'infrared-thermometer'],
  },
  ...DIRECT_MAKERS.map(([home, weight, secondary]): SupplierArchetype => ({
    id: `maker:${home}`,
    home,
    weight,
    trades: TRADES[home],
    hubs: HUBS[home] ?? [],
    extras: [],
    targets: [],
    secondary,
  })),
];

/** Certifications a supplier in a sector may hold besides its categories' own, with probabilities. */
const SECTOR_CERTS: Record<Sector, readonly (readonly [string, number])[]> = {
  medical: [['iso-13485', 0.6], ['ce-marking', 0.3], ['fda-510k-eua', 0.15], ['iso-9001', 0.3]],
  electronics: [['iso-9001', 0.7], ['ce-marking', 0.3], ['ul-listing', 0.25], ['ccc', 0.15], ['iso-13485', 0.2]],
  'food-packaging': [['iso-9001', 0.5]],
  'auto-parts': [['iso-9001', 0.5], ['ccc', 0.1]],
  textiles: [['oeko-tex', 0.35], ['iso-9001', 0.4]],
};

interface SupplierDraft {
  org: ScenarioOrganization;
  home: Category;
  secondary: Category | null;
  capabilities: string[];
  target: Category | null;
}

function category(id: string): Category {
  const c = findCategory(id);
  if (!c) throw new Error(`unknown category ${id}`);
  return c;
}

const capabilityOrder = new Map(catalog.capabilities.map((c, i) => [c.id, i]));
const certificationOrder = new Map(catalog.certifications.map((c, i) => [c.id, i]));
const sortBy = (order: Map<string, number>) => (ids: Iterable<string>) =>
  [...new Set(ids)].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
const sortCapabilities = sortBy(capabilityOrder);
const sortCertifications = sortBy(certificationOrder);

const holdsAll = (capabilities: readonly string[], required: readonly string[]) => required.every((r) => capabilities.includes(r));

function buildSupplier(rng: Rng, archetype: SupplierArchetype, key: string, usedNames: Set<string>): SupplierDraft {
  const home = category(archetype.home);
  const secondary = archetype.secondary && rng.chance(0.25) ? category(archetype.secondary) : null;
  const caps = [...home.capabilities, ...(secondary?.capabilities ?? [])];
  for (const [cap, p] of archetype.extras) if (rng.chance(p)) caps.push(cap);
  const capabilities = sortCapabilities(caps);
  const target =
    archetype.targets.map(category).find((t) => t.conversion !== null && holdsAll(capabilities, t.conversion.requires)) ?? null;

  const certs: string[] = [];
  for (const c of home.certifications) if (rng.chance(0.8)) certs.push(c);
  for (const c of secondary?.certifications ?? []) if (rng.chance(0.7)) certs.push(c);
  for (const [c, p] of SECTOR_CERTS[home.sector]) if (rng.chance(p)) certs.push(c);

  const province = pickProvince(rng, supplierProvinceWeight, 0.4, archetype.hubs);
  const name = uniqueName(rng, usedNames, province, archetype.trades.map(company));
  return {
    org: {
      key,
      name: name.en,
      nameZh: name.zh,
      role: 'supplier',
      region: province.id,
      location: jitter(rng, province, 40),
      certifications: sortCertifications(certs),
      verified: rng.chance(0.8),
    },
    home,
    secondary,
    capabilities,
    target,
  };
}

function buildOffer(rng: Rng, supplier: SupplierDraft, now: number, extra: boolean): ScenarioOffer {
  const { home, secondary, target } = supplier;
  const products = [{ category: home.id, unitsPerDay: niceRound(home.referenceUnitsPerDay * rng.uniform(0.5, 1.6)) }];
  if (secondary && (!extra || rng.chance(0.5))) {
    products.push({ category: secondary.id, unitsPerDay: niceRound(secondary.referenceUnitsPerDay * rng.uniform(0.3, 0.8)) });
  }
  const from = now + rng.int(-48, 240) * HOUR_MS;
  const to = from + rng.int(20, 90) * DAY_MS;
  const priced = target ?? home;
  return {
    orgKey: supplier.org.key,
    products,
    capabilities: [...supplier.capabilities],
    availableFrom: new Date(from).toISOString(),
    availableTo: new Date(to).toISOString(),
    location: { ...supplier.org.location },
    minOrderUnits: niceRound(products[0].unitsPerDay * rng.uniform(0.05, 0.3)),
    pricePerUnit: roundPrice(priced.referencePricePerUnit * rng.uniform(0.7, 1.3)),
    conversionLeadDays: target?.conversion?.days ?? 0,
    certifications: [...supplier.org.certifications],
  };
}

const MEDICAL = catalog.categories.filter((c) => c.sector === 'medical').map((c) => c.id);
const CLINICAL = MEDICAL.concat('infrared-thermometer');
/** What factories restarting production buy to protect their workers. */
const WORKER_PROTECTION = ['disposable-medical-mask', 'kn95-respirator', 'cloth-mask', 'hand-sanitizer', 'infrared-thermometer', 'work-uniform'];

interface BuyerType {
  id: string;
  weight: number;
  templates: readonly NameTemplate[];
  /** Categories this buyer mainly purchases. */
  core: readonly string[];
  /** Categories bought in small amounts (worker protection). */
  side: readonly string[];
  /** Order size relative to the category's per-demand quantity. */
  scale: number;
  /** Probability that a demand requires the category's certifications. */
  requireCerts: number;
  certs: readonly (readonly [string, number])[];
  radiusKm: number;
}

const BUYER_TYPES: readonly BuyerType[] = [
  {
    id: 'hospital',
    weight: 36,
    templates: [
      (city, brand, p) => ({ en: `${city} ${ORDINALS[hashString(brand) % ORDINALS.length]} People's Hospital`, zh: `${cityZh(p)}第${ORDINALS_ZH[hashString(brand) % ORDINALS.length]}人民医院` }),
      (city, _b, p) => ({ en: `${city} Central Hospital`, zh: `${cityZh(p)}中心医院` }),
      (city, _b, p) => ({ en: `${city} Hospital of Traditional Chinese Medicine`, zh: `${cityZh(p)}中医医院` }),
      (city, _b, p) => ({ en: `${city} Infectious Disease Hospital`, zh: `${cityZh(p)}传染病医院` }),
      (city, _b, p) => ({ en: `${city} Maternal and Child Health Hospital`, zh: `${cityZh(p)}妇幼保健院` }),
      (city, _b, p) => ({ en: `${city} Children's Hospital`, zh: `${cityZh(p)}儿童医院` }),
      (city, _b, p) => ({ en: `${city} Pulmonary Hospital`, zh: `${cityZh(p)}肺科医院` }),
      (city, brand, p) => ({ en: `${city} ${brand} Hospital`, zh: `${p.capital.zh}${brandZh(brand)}医院` }),
      (_city, _brand, p) => (p.kind === 'province' ? { en: `${p.id} Provincial People's Hospital`, zh: `${p.name.zh}人民医院` } : null),
    ],
    core: CLINICAL,
    side: [],
    scale: 1,
    requireCerts: 0.75,
    certs: [],
    radiusKm: 25,
  },
  {
    id: 'health-authority',
    weight: 14,
    templates: [
      (city, _b, p) => ({ en: `${city} Municipal Health Commission`, zh: `${cityZh(p)}卫生健康委员会` }),
      (city, _b, p) => ({ en: `${city} Center for Disease Control and Prevention`, zh: `${cityZh(p)}疾病预防控制中心` }),
      (city, _b, p) => ({ en: `${city} Epidemic Prevention and Control Headquarters`, zh: `${cityZh(p)}疫情防控指挥部` }),
      (_city, _brand, p) => (p.kind === 'province' ? { en: `${p.id} Provincial Health Commission`, zh: `${p.name.zh}卫生健康委员会` } : null),
      (_city, _brand, p) => (p.kind === 'province' ? { en: `${p.id} Provincial Center for Disease Control and Prevention`, zh: `${p.name.zh}疾病预防控制中心` } : null),
      (_city, _brand, p) => (p.kind === 'autonomous-region' ? { en: `${p.id} Autonomous Region Health Commission`, zh: `${p.name.zh}卫生健康委员会` } : null),
    ],
    core: CLINICAL.concat('cloth-mask'),
    side: [],
    scale: 2.5,
    requireCerts: 0.65,
    certs: [],
    radiusKm: 20,
  },
  {
    id: 'medical-distributor',
    weight: 20,
    templates: [
      company('Medical Supplies'),
      company('Pharmaceutical'),
      company('Medical Equipment Trading'),
      company('Labour Protection Supplies'),
    ],
    core: CLINICAL.concat('cloth-mask', 'work-uniform'),
    side: [],
    scale: 1.5,
    requireCerts: 0.5,
    certs: [['iso-9001', 0.3]],
    radiusKm: 40,
  },
  {
    id: 'auto-assembler',
    weight: 9,
    templates: [company('Automobile'), company('Auto Industry'), company('Commercial Vehicle')],
    core: ['wire-harness', 'brake-pad', 'interior-trim-part'],
    side: WORKER_PROTECTION,
    scale: 1,
    requireCerts: 0.7,
    certs: [['iatf-16949', 0.9], ['iso-9001', 0.6]],
    radiusKm: 40,
  },
  {
    id: 'electronics-assembler',
    weight: 6,
    templates: [company('Medical Equipment'), company('Electronic Appliance'), company('Smart Devices')],
    core: ['pcb-assembly', 'ventilator-control-board', 'infrared-thermometer'],
    side: WORKER_PROTECTION,
    scale: 1,
    requireCerts: 0.6,
    certs: [['iso-9001', 0.8], ['iso-13485', 0.4]],
    radiusKm: 40,
  },
  {
    id: 'food-processor',
    weight: 8,
    templates: [company('Food'), company('Beverage'), company('Catering Management'), company('Dairy')],
    core: ['pp-food-container', 'pet-bottle', 'paper-food-box'],
    side: WORKER_PROTECTION,
    scale: 1,
    requireCerts: 0.7,
    certs: [['iso-9001', 0.5]],
    radiusKm: 40,
  },
  {
    id: 'ppe-maker',
    weight: 4,
    templates: [company('Protective Equipment'), company('Medical Protective Products')],
    core: ['nonwoven-fabric', 'meltblown-fabric'],
    side: [],
    scale: 1,
    requireCerts: 0.5,
    certs: [['iso-13485', 0.5], ['iso-9001', 0.4]],
    radiusKm: 40,
  },
  {
    id: 'apparel-maker',
    weight: 3,
    templates: [company('Apparel'), company('Home Textile'), company('Garment')],
    core: ['cotton-fabric'],
    side: WORKER_PROTECTION,
    scale: 1,
    requireCerts: 0.3,
    certs: [['oeko-tex', 0.4], ['iso-9001', 0.3]],
    radiusKm: 40,
  },
];

/** Share of demands per category and the size of one demand in days of a reference line's output. */
const DEMAND_PLAN: Record<string, { weight: number; days: readonly [number, number] }> = {
  // Shortages: demand far beyond what is offered.
  'n95-medical-respirator': { weight: 7, days: [15, 45] },
  'kn95-respirator': { weight: 6, days: [15, 45] },
  'protective-gown': { weight: 8, days: [15, 45] },
  'protective-coverall': { weight: 7, days: [15, 45] },
  'antigen-test-kit': { weight: 6, days: [15, 45] },
  'meltblown-fabric': { weight: 4, days: [35, 75] },
  'medical-goggles': { weight: 3, days: [20, 60] },
  // Roughly balanced.
  'surgical-mask': { weight: 9, days: [15, 45] },
  'disposable-medical-mask': { weight: 6, days: [10, 35] },
  'nitrile-gloves': { weight: 4, days: [10, 30] },
  'face-shield': { weight: 3, days: [15, 45] },
  'infrared-thermometer': { weight: 5, days: [10, 40] },
  'ventilator-control-board': { weight: 2, days: [20, 60] },
  'wire-harness': { weight: 3, days: [30, 80] },
  'brake-pad': { weight: 2, days: [30, 80] },
  // Surplus: plenty of capacity, little demand.
  'hand-sanitizer': { weight: 4, days: [2, 8] },
  disinfectant: { weight: 3, days: [2, 8] },
  'pp-food-container': { weight: 3, days: [3, 12] },
  'pet-bottle': { weight: 2, days: [5, 20] },
  'paper-food-box': { weight: 2, days: [5, 20] },
  'interior-trim-part': { weight: 2, days: [10, 30] },
  'pcb-assembly': { weight: 3, days: [10, 30] },
  'cotton-fabric': { weight: 2, days: [3, 12] },
  'nonwoven-fabric': { weight: 3, days: [5, 20] },
  'work-uniform': { weight: 3, days: [3, 12] },
  'cloth-mask': { weight: 3, days: [3, 12] },
};

/** Quantity multiplier when a buyer buys outside its core categories. */
const SIDE_SCALE = 0.15;

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface BuyerDraft {
  org: ScenarioOrganization;
  type: BuyerType;
  load: number;
}

function buildBuyer(rng: Rng, type: BuyerType, key: string, usedNames: Set<string>): BuyerDraft {
  const province = pickProvince(rng, buyerProvinceWeight, 1);
  const certs = type.certs.filter(([, p]) => rng.chance(p)).map(([c]) => c);
  const name = uniqueName(rng, usedNames, province, type.templates);
  return {
    org: {
      key,
      name: name.en,
      nameZh: name.zh,
      role: 'buyer',
      region: province.id,
      location: jitter(rng, province, type.radiusKm),
      certifications: sortCertifications(certs),
      verified: rng.chance(0.9),
    },
    type,
    load: 0,
  };
}

function pickBuyer(rng: Rng, buyers: BuyerDraft[], categoryId: string): { buyer: BuyerDraft; core: boolean } {
  let best: { buyer: BuyerDraft; core: boolean; score: number } | null = null;
  for (const buyer of buyers) {
    const core = buyer.type.core.includes(categoryId);
    if (!core && !buyer.type.side.includes(categoryId)) continue;
    const score = buyer.load + (core ? 0 : 1.5) + rng.next() * 0.5;
    if (!best || score < best.score) best = { buyer, core, score };
  }
  if (best) return best;
  // No buyer of a fitting kind in a very small scenario: fall back to the least loaded one.
  const buyer = buyers.reduce((a, b) => (b.load < a.load ? b : a));
  return { buyer, core: true };
}

function buildDemand(rng: Rng, buyer: BuyerDraft, core: boolean, cat: Category, now: number): ScenarioDemand {
  const plan = DEMAND_PLAN[cat.id] ?? { weight: 0, days: [5, 20] as const };
  const lineDays = rng.uniform(plan.days[0], plan.days[1]);
  const quantity = niceRound(cat.referenceUnitsPerDay * lineDays * buyer.type.scale * (core ? 1 : SIDE_SCALE) * rng.uniform(0.7, 1.3));
  const required: string[] = [];
  if (rng.chance(core ? buyer.type.requireCerts : 0.2)) required.push(...cat.certifications);
  if (cat.sector === 'medical' && buyer.type.id === 'hospital' && rng.chance(0.1)) required.push('iso-13485');
  if (cat.sector === 'medical' && buyer.type.id === 'medical-distributor') {
    if (rng.chance(0.08)) required.push('ce-marking');
    if (rng.chance(0.05)) required.push('fda-510k-eua');
  }
  if (cat.sector === 'textiles' && rng.chance(0.15)) required.push('oeko-tex');
  if (cat.sector === 'electronics' && core && rng.chance(0.1)) required.push('ul-listing');
  if (cat.sector === 'auto-parts' && rng.chance(0.1)) required.push('iso-9001');
  const p = rng.next();
  return {
    orgKey: buyer.org.key,
    category: cat.id,
    quantity,
    deadline: new Date(now + rng.int(5 * 24, 45 * 24) * HOUR_MS).toISOString(),
    deliveryLocation: { ...buyer.org.location },
    requiredCertifications: sortCertifications(required),
    maxPricePerUnit: roundPrice(cat.referencePricePerUnit * rng.uniform(0.75, 1.4)),
    priority: p < 0.2 ? 'critical' : p < 0.5 ? 'high' : 'normal',
  };
}

function count(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return n;
}

/** Builds the demo scenario deterministically from `seed` and `now`. */
export function buildScenario(options: BuildScenarioOptions): Scenario {
  const now = options.now.getTime();
  if (!Number.isFinite(now)) throw new RangeError('now must be a valid date');
  const supplierCount = count(options.suppliers, scenarioDefaults.suppliers, 'suppliers');
  const buyerCount = count(options.buyers, scenarioDefaults.buyers, 'buyers');
  const offerCount = supplierCount === 0 ? 0 : count(options.offers, scenarioDefaults.offers, 'offers');
  const demandCount = buyerCount === 0 ? 0 : count(options.demands, scenarioDefaults.demands, 'demands');
  const rng = createRng(options.seed);
  const usedNames = new Set<string>();

  // Suppliers: apportion archetypes, shuffle so that kinds are mixed, then build.
  const archetypeCounts = apportion(ARCHETYPES.map((a) => a.weight), supplierCount);
  if (supplierCount > 0 && archetypeCounts[0] === 0) {
    const largest = archetypeCounts.indexOf(Math.max(...archetypeCounts));
    archetypeCounts[largest]--;
    archetypeCounts[0]++;
  }
  const archetypeSlots = rng.shuffle(ARCHETYPES.flatMap((a, i) => Array<SupplierArchetype>(archetypeCounts[i]).fill(a)));
  const suppliers = archetypeSlots.map((a, i) => buildSupplier(rng, a, `sup-${String(i + 1).padStart(3, '0')}`, usedNames));

  // Offers: one per supplier first, the rest as further lines or windows of random suppliers.
  const offers: ScenarioOffer[] = [];
  for (let i = 0; i < offerCount; i++) {
    const extra = i >= suppliers.length;
    const supplier = extra ? rng.pick(suppliers) : suppliers[i];
    offers.push(buildOffer(rng, supplier, now, extra));
  }

  // Buyers.
  const buyerCounts = apportion(BUYER_TYPES.map((t) => t.weight), buyerCount);
  const buyerSlots = rng.shuffle(BUYER_TYPES.flatMap((t, i) => Array<BuyerType>(buyerCounts[i]).fill(t)));
  const buyers = buyerSlots.map((t, i) => buildBuyer(rng, t, `buy-${String(i + 1).padStart(3, '0')}`, usedNames));

  // Demands: apportion categories, hand each to the least-loaded buyer that buys it.
  const planned = catalog.categories.filter((c) => (DEMAND_PLAN[c.id]?.weight ?? 0) > 0);
  const demandCounts = apportion(planned.map((c) => DEMAND_PLAN[c.id].weight), demandCount);
  const demandSlots = rng.shuffle(planned.flatMap((c, i) => Array<Category>(demandCounts[i]).fill(c)));
  const demands: ScenarioDemand[] = [];
  for (const cat of demandSlots) {
    const { buyer, core } = pickBuyer(rng, buyers, cat.id);
    buyer.load++;
    demands.push(buildDemand(rng, buyer, core, cat, now));
  }

  return {
    organizations: [...suppliers.map((s) => s.org), ...buyers.map((b) => b.org)],
    offers,
    demands,
  };
}

/** Per catalog category: units demanded vs units offered over the offers' windows, and whether it is short or in surplus. */
export function scenarioSummary(s: Scenario): CategorySummary[] {
  return catalog.categories.map((cat) => {
    let demandUnits = 0;
    let demands = 0;
    for (const d of s.demands) {
      if (d.category !== cat.id) continue;
      demands++;
      demandUnits += d.quantity;
    }
    let supplyUnits = 0;
    let offers = 0;
    let conversionUnits = 0;
    for (const o of s.offers) {
      const days = Math.max(0, (Date.parse(o.availableTo) - Date.parse(o.availableFrom)) / DAY_MS);
      const direct = o.products.filter((p) => p.category === cat.id);
      if (direct.length > 0) {
        offers++;
        supplyUnits += direct.reduce((sum, p) => sum + p.unitsPerDay * days, 0);
      } else if (cat.conversion && holdsAll(o.capabilities, cat.conversion.requires)) {
        const usual = o.products.reduce((sum, p) => sum + p.unitsPerDay, 0);
        conversionUnits += cat.conversion.throughputFactor * usual * Math.max(0, days - cat.conversion.days);
      }
    }
    supplyUnits = Math.round(supplyUnits);
    conversionUnits = Math.round(conversionUnits);
    const ratio = supplyUnits > 0 ? Math.round((demandUnits / supplyUnits) * 100) / 100 : null;
    const status: BalanceStatus =
      ratio === null ? (demandUnits > 0 ? 'short' : 'balanced') : ratio > 1.2 ? 'short' : ratio < 0.8 ? 'surplus' : 'balanced';
    return { category: cat.id, sector: cat.sector, unit: cat.unit.en, demands, demandUnits, offers, supplyUnits, conversionUnits, ratio, status };
  });
}
