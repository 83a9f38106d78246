/**
 * China's 31 provincial-level divisions (mainland; Hong Kong, Macao and Taiwan are not included),
 * with the coordinates of each capital and a cell in a schematic 8x8 tile-grid map.
 * Bundled data: no network access, safe to import in the browser.
 */

export type ProvinceKind = 'province' | 'municipality' | 'autonomous-region';

export interface Province {
  /** English name used as the region value, e.g. 'Hubei', 'Inner Mongolia'. */
  id: string;
  name: { en: string; zh: string };
  kind: ProvinceKind;
  capital: { en: string; zh: string; lat: number; lng: number };
  /** Cell of the tile-grid map: rows 0..7 from north to south, columns 0..7 from west to east. */
  grid: { row: number; col: number };
}

/** Number of rows and columns of the tile-grid map. */
export const provinceGridSize = { rows: 8, cols: 8 } as const;

export const provinces: Province[] = [
  // North-east
  { id: 'Heilongjiang', name: { en: 'Heilongjiang', zh: '黑龙江省' }, kind: 'province', capital: { en: 'Harbin', zh: '哈尔滨', lat: 45.8038, lng: 126.535 }, grid: { row: 0, col: 7 } },
  { id: 'Jilin', name: { en: 'Jilin', zh: '吉林省' }, kind: 'province', capital: { en: 'Changchun', zh: '长春', lat: 43.8171, lng: 125.3235 }, grid: { row: 1, col: 7 } },
  { id: 'Liaoning', name: { en: 'Liaoning', zh: '辽宁省' }, kind: 'province', capital: { en: 'Shenyang', zh: '沈阳', lat: 41.8057, lng: 123.4315 }, grid: { row: 1, col: 6 } },
  // North
  { id: 'Beijing', name: { en: 'Beijing', zh: '北京市' }, kind: 'municipality', capital: { en: 'Beijing', zh: '北京', lat: 39.9042, lng: 116.4074 }, grid: { row: 1, col: 5 } },
  { id: 'Inner Mongolia', name: { en: 'Inner Mongolia', zh: '内蒙古自治区' }, kind: 'autonomous-region', capital: { en: 'Hohhot', zh: '呼和浩特', lat: 40.8424, lng: 111.749 }, grid: { row: 1, col: 4 } },
  { id: 'Tianjin', name: { en: 'Tianjin', zh: '天津市' }, kind: 'municipality', capital: { en: 'Tianjin', zh: '天津', lat: 39.0842, lng: 117.2009 }, grid: { row: 2, col: 6 } },
  { id: 'Hebei', name: { en: 'Hebei', zh: '河北省' }, kind: 'province', capital: { en: 'Shijiazhuang', zh: '石家庄', lat: 38.0428, lng: 114.5149 }, grid: { row: 2, col: 5 } },
  { id: 'Shanxi', name: { en: 'Shanxi', zh: '山西省' }, kind: 'province', capital: { en: 'Taiyuan', zh: '太原', lat: 37.8706, lng: 112.5489 }, grid: { row: 2, col: 4 } },
  // North-west
  { id: 'Xinjiang', name: { en: 'Xinjiang', zh: '新疆维吾尔自治区' }, kind: 'autonomous-region', capital: { en: 'Urumqi', zh: '乌鲁木齐', lat: 43.8256, lng: 87.6168 }, grid: { row: 1, col: 1 } },
  { id: 'Gansu', name: { en: 'Gansu', zh: '甘肃省' }, kind: 'province', capital: { en: 'Lanzhou', zh: '兰州', lat: 36.0611, lng: 103.8343 }, grid: { row: 2, col: 2 } },
  { id: 'Qinghai', name: { en: 'Qinghai', zh: '青海省' }, kind: 'province', capital: { en: 'Xining', zh: '西宁', lat: 36.6171, lng: 101.7782 }, grid: { row: 2, col: 1 } },
  { id: 'Ningxia', name: { en: 'Ningxia', zh: '宁夏回族自治区' }, kind: 'autonomous-region', capital: { en: 'Yinchuan', zh: '银川', lat: 38.4872, lng: 106.2309 }, grid: { row: 2, col: 3 } },
  { id: 'Shaanxi', name: { en: 'Shaanxi', zh: '陕西省' }, kind: 'province', capital: { en: "Xi'an", zh: '西安', lat: 34.3416, lng: 108.9398 }, grid: { row: 3, col: 3 } },
  // East
  { id: 'Shandong', name: { en: 'Shandong', zh: '山东省' }, kind: 'province', capital: { en: 'Jinan', zh: '济南', lat: 36.6512, lng: 117.1201 }, grid: { row: 3, col: 5 } },
  { id: 'Jiangsu', name: { en: 'Jiangsu', zh: '江苏省' }, kind: 'province', capital: { en: 'Nanjing', zh: '南京', lat: 32.0603, lng: 118.7969 }, grid: { row: 4, col: 6 } },
  { id: 'Shanghai', name: { en: 'Shanghai', zh: '上海市' }, kind: 'municipality', capital: { en: 'Shanghai', zh: '上海', lat: 31.2304, lng: 121.4737 }, grid: { row: 4, col: 7 } },
  { id: 'Anhui', name: { en: 'Anhui', zh: '安徽省' }, kind: 'province', capital: { en: 'Hefei', zh: '合肥', lat: 31.8206, lng: 117.2272 }, grid: { row: 4, col: 5 } },
  { id: 'Zhejiang', name: { en: 'Zhejiang', zh: '浙江省' }, kind: 'province', capital: { en: 'Hangzhou', zh: '杭州', lat: 30.2741, lng: 120.1551 }, grid: { row: 5, col: 6 } },
  { id: 'Jiangxi', name: { en: 'Jiangxi', zh: '江西省' }, kind: 'province', capital: { en: 'Nanchang', zh: '南昌', lat: 28.682, lng: 115.8579 }, grid: { row: 5, col: 5 } },
  { id: 'Fujian', name: { en: 'Fujian', zh: '福建省' }, kind: 'province', capital: { en: 'Fuzhou', zh: '福州', lat: 26.0745, lng: 119.2965 }, grid: { row: 6, col: 5 } },
  // Centre
  { id: 'Henan', name: { en: 'Henan', zh: '河南省' }, kind: 'province', capital: { en: 'Zhengzhou', zh: '郑州', lat: 34.7466, lng: 113.6254 }, grid: { row: 3, col: 4 } },
  { id: 'Hubei', name: { en: 'Hubei', zh: '湖北省' }, kind: 'province', capital: { en: 'Wuhan', zh: '武汉', lat: 30.5928, lng: 114.3055 }, grid: { row: 4, col: 4 } },
  { id: 'Hunan', name: { en: 'Hunan', zh: '湖南省' }, kind: 'province', capital: { en: 'Changsha', zh: '长沙', lat: 28.2282, lng: 112.9388 }, grid: { row: 5, col: 4 } },
  // South
  { id: 'Guangdong', name: { en: 'Guangdong', zh: '广东省' }, kind: 'province', capital: { en: 'Guangzhou', zh: '广州', lat: 23.1291, lng: 113.2644 }, grid: { row: 6, col: 4 } },
  { id: 'Guangxi', name: { en: 'Guangxi', zh: '广西壮族自治区' }, kind: 'autonomous-region', capital: { en: 'Nanning', zh: '南宁', lat: 22.817, lng: 108.3665 }, grid: { row: 6, col: 3 } },
  { id: 'Hainan', name: { en: 'Hainan', zh: '海南省' }, kind: 'province', capital: { en: 'Haikou', zh: '海口', lat: 20.044, lng: 110.1999 }, grid: { row: 7, col: 4 } },
  // South-west
  { id: 'Chongqing', name: { en: 'Chongqing', zh: '重庆市' }, kind: 'municipality', capital: { en: 'Chongqing', zh: '重庆', lat: 29.563, lng: 106.5516 }, grid: { row: 4, col: 3 } },
  { id: 'Sichuan', name: { en: 'Sichuan', zh: '四川省' }, kind: 'province', capital: { en: 'Chengdu', zh: '成都', lat: 30.5728, lng: 104.0668 }, grid: { row: 3, col: 2 } },
  { id: 'Guizhou', name: { en: 'Guizhou', zh: '贵州省' }, kind: 'province', capital: { en: 'Guiyang', zh: '贵阳', lat: 26.647, lng: 106.6302 }, grid: { row: 5, col: 3 } },
  { id: 'Yunnan', name: { en: 'Yunnan', zh: '云南省' }, kind: 'province', capital: { en: 'Kunming', zh: '昆明', lat: 25.0389, lng: 102.7183 }, grid: { row: 5, col: 2 } },
  { id: 'Tibet', name: { en: 'Tibet', zh: '西藏自治区' }, kind: 'autonomous-region', capital: { en: 'Lhasa', zh: '拉萨', lat: 29.652, lng: 91.1721 }, grid: { row: 3, col: 1 } },
];

const byId = new Map(provinces.map((p) => [p.id.toLowerCase(), p]));

/** Looks a province up by its id (case-insensitive), e.g. 'Hubei' or 'inner mongolia'. */
export function findProvince(id: string): Province | undefined {
  return byId.get(id.trim().toLowerCase());
}

const byName = new Map<string, Province>();
for (const p of provinces) {
  const zh = p.name.zh;
  for (const n of [p.id, p.name.en, zh, zh.replace(/(省|市|自治区)$/, '')]) byName.set(n.toLowerCase(), p);
}

/**
 * The province a region names, however it is spelt: the id in any case ('hubei'), with "Province" ('Hubei
 * Province'), or the Chinese name with or without 省/市/自治区 ('湖北', '湖北省'); undefined for anything else.
 */
export function provinceNamed(region: string): Province | undefined {
  const key = region.trim().replace(/\s+/g, ' ').toLowerCase();
  return byName.get(key) ?? byName.get(key.replace(/ (province|municipality|autonomous region)$/, ''));
}

/** The name a region is filed under: the id of the province it names however spelt (`provinceNamed`), else the region as given. */
export function regionId(region: string): string {
  return provinceNamed(region)?.id ?? region;
}

/**
 * The province a point is in, taken as the one whose capital is nearest (great-circle distance): bundled
 * capitals only, no boundary data, so a place near a border may be filed with the neighbour whose capital is
 * closer. Used to file a demand under where its goods go (its delivery place), not the buyer's home.
 */
export function provinceAt(point: { lat: number; lng: number }): Province {
  // a posting's place is one object for as long as the posting is unchanged: coverage, lists, events and the
  // planner ask again and again, so each place is found once
  const known = nearestByPoint.get(point);
  if (known && known.lat === point.lat && known.lng === point.lng) return known.province;
  const province = nearestCapital(point);
  nearestByPoint.set(point, { lat: point.lat, lng: point.lng, province });
  return province;
}

const nearestByPoint = new WeakMap<object, { lat: number; lng: number; province: Province }>();

function nearestCapital(point: { lat: number; lng: number }): Province {
  const rad = Math.PI / 180;
  let best = provinces[0];
  let bestD = Infinity;
  for (const p of provinces) {
    const dLat = (p.capital.lat - point.lat) * rad;
    const dLng = (p.capital.lng - point.lng) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(point.lat * rad) * Math.cos(p.capital.lat * rad) * Math.sin(dLng / 2) ** 2;
    if (h < bestD) {
      bestD = h;
      best = p;
    }
  }
  return best;
}
