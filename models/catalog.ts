import { z } from 'zod';

/**
 * The product catalog: categories of goods the platform matches, the production capabilities
 * needed to make them (directly or by converting other lines), and the certifications buyers ask for.
 * Shared with the browser client: no Node or database imports here.
 */

export const LocalizedSchema = z.object({ en: z.string(), zh: z.string() });
export const CapabilitySchema = z.object({ id: z.string(), name: LocalizedSchema });
export const CertificationSchema = z.object({
  id: z.string(),
  name: LocalizedSchema,
  issuer: z.string(),
  description: LocalizedSchema,
});
export const SectorSchema = z.enum(['medical', 'food-packaging', 'auto-parts', 'electronics', 'textiles']);
export const ConversionSchema = z.object({
  /** Capability ids a factory must ALL hold to convert its lines to this category. */
  requires: z.array(z.string()),
  /** Typical conversion days. */
  days: z.number().int().positive(),
  /** Converted output per day as a share of the factory's usual daily output. */
  throughputFactor: z.number().positive().max(1),
  note: LocalizedSchema,
});
export const CategorySchema = z.object({
  /** Kebab-case id, e.g. 'surgical-mask'. */
  id: z.string(),
  name: LocalizedSchema,
  sector: SectorSchema,
  unit: LocalizedSchema,
  /** Capability ids needed to make it (a factory that makes it directly has these). */
  capabilities: z.array(z.string()),
  /** Certification ids a buyer can always count on being required for this category (may be empty). */
  certifications: z.array(z.string()),
  /** How another factory can switch to it; null if it cannot be converted to. */
  conversion: ConversionSchema.nullable(),
  /** CNY, realistic 2020 price. */
  referencePricePerUnit: z.number().positive(),
  /** A typical SME line's daily output. */
  referenceUnitsPerDay: z.number().int().positive(),
});
export const CatalogSchema = z.object({
  categories: z.array(CategorySchema),
  capabilities: z.array(CapabilitySchema),
  certifications: z.array(CertificationSchema),
});

export type Localized = z.infer<typeof LocalizedSchema>;
export type Capability = z.infer<typeof CapabilitySchema>;
export type Certification = z.infer<typeof CertificationSchema>;
export type Sector = z.infer<typeof SectorSchema>;
export type Conversion = z.infer<typeof ConversionSchema>;
export type Category = z.infer<typeof CategorySchema>;
export type Catalog = z.infer<typeof CatalogSchema>;

export const sectors: readonly Sector[] = SectorSchema.options;

const l = (en: string, zh: string): Localized => ({ en, zh });

const PIECE_MASK = l('piece', '只');
const PIECE_GARMENT = l('piece', '件');
const PIECE_ITEM = l('piece', '个');
const BOTTLE_500ML = l('bottle (500 mL)', '瓶（500毫升）');
const KG = l('kg', '千克');
const BOARD = l('board', '块');

const capabilities: Capability[] = [
  { id: 'sewing', name: l('Sewing', '缝纫') },
  { id: 'heat-sealing', name: l('Heat-sealing (seam taping)', '热合压胶（接缝热封）') },
  { id: 'ultrasonic-welding', name: l('Ultrasonic welding', '超声波焊接') },
  { id: 'melt-blown-extrusion', name: l('Melt-blown extrusion', '熔喷挤出') },
  { id: 'electret-charging', name: l('Electret (electrostatic) charging', '驻极处理') },
  { id: 'spunbond-nonwoven', name: l('Spunbond non-woven production', '纺粘无纺布生产') },
  { id: 'cleanroom-iso8', name: l('Clean room class 100,000 (ISO 8)', '十万级洁净车间（ISO 8）') },
  { id: 'eo-sterilization', name: l('Ethylene oxide (EO) sterilization', '环氧乙烷灭菌') },
  { id: 'dip-moulding', name: l('Dip moulding', '浸渍成型') },
  { id: 'chemical-blending', name: l('Chemical blending', '化学配制') },
  { id: 'liquid-filling', name: l('Liquid filling', '液体灌装') },
  { id: 'lateral-flow-assembly', name: l('Lateral-flow test strip assembly', '侧向层析试纸条组装') },
  { id: 'injection-moulding', name: l('Injection moulding', '注塑成型') },
  { id: 'blow-moulding', name: l('Blow moulding', '吹塑成型') },
  { id: 'die-cutting', name: l('Die-cutting', '模切') },
  { id: 'paper-forming', name: l('Paper forming', '纸制品成型') },
  { id: 'offset-printing', name: l('Offset printing', '胶版印刷') },
  { id: 'smt-assembly', name: l('SMT (surface-mount) assembly line', 'SMT贴片生产线') },
  { id: 'through-hole-soldering', name: l('Through-hole (wave) soldering', '插件波峰焊') },
  { id: 'functional-testing', name: l('Functional testing and calibration', '功能测试与校准') },
  { id: 'wire-crimping', name: l('Wire crimping', '端子压接') },
  { id: 'metal-stamping', name: l('Metal stamping', '金属冲压') },
  { id: 'friction-material-pressing', name: l('Friction material hot pressing', '摩擦材料热压成型') },
  { id: 'weaving', name: l('Weaving', '织造') },
];

const certifications: Certification[] = [
  {
    id: 'gb-19083',
    name: l('GB 19083 Medical protective mask', 'GB 19083 医用防护口罩技术要求'),
    issuer: 'SAMR / SAC (mandatory national standard of China)',
    description: l(
      'Technical requirements for medical protective (N95-grade) masks: non-oily particle filtration ≥95%, synthetic blood penetration resistance, fit.',
      '医用防护口罩强制性国家标准：非油性颗粒过滤效率≥95%、合成血液穿透、密合性等要求。',
    ),
  },
  {
    id: 'gb-2626',
    name: l('GB 2626 Non-powered air-purifying particle respirator', 'GB 2626 呼吸防护 自吸过滤式防颗粒物呼吸器'),
    issuer: 'SAMR / SAC (mandatory national standard of China)',
    description: l(
      'Respiratory protection standard defining the KN90/KN95/KN100 filtration classes for non-medical respirators.',
      '呼吸防护用品强制性国家标准，规定KN90/KN95/KN100等过滤级别。',
    ),
  },
  {
    id: 'yy-0469',
    name: l('YY 0469 Surgical mask', 'YY 0469 医用外科口罩'),
    issuer: 'NMPA (pharmaceutical industry standard)',
    description: l(
      'Surgical masks: bacterial filtration ≥95%, particle filtration ≥30%, resistance to synthetic blood at 120 mmHg.',
      '医用外科口罩行业标准：细菌过滤效率≥95%、颗粒过滤效率≥30%、120mmHg合成血液穿透防护。',
    ),
  },
  {
    id: 'yy-t-0969',
    name: l('YY/T 0969 Single-use medical face mask', 'YY/T 0969 一次性使用医用口罩'),
    issuer: 'NMPA (pharmaceutical industry standard)',
    description: l(
      'Single-use medical masks for general care settings: bacterial filtration ≥95%, no fluid-resistance requirement.',
      '一次性使用医用口罩推荐性行业标准：细菌过滤效率≥95%，无液体阻隔要求，适用于普通医疗环境。',
    ),
  },
  {
    id: 'gb-19082',
    name: l('GB 19082 Medical disposable protective clothing', 'GB 19082 医用一次性防护服技术要求'),
    issuer: 'SAMR / SAC (mandatory national standard of China)',
    description: l(
      'Protective coveralls for medical staff: liquid barrier (hydrostatic pressure ≥1.67 kPa), filtration, taped seams, sterile or non-sterile.',
      '医用一次性防护服强制性国家标准：抗渗水性（静水压≥1.67kPa）、过滤效率、接缝压胶等要求。',
    ),
  },
  {
    id: 'iso-13485',
    name: l('ISO 13485 Medical devices quality management', 'ISO 13485 医疗器械质量管理体系认证'),
    issuer: 'ISO (certified by accredited bodies such as TÜV, SGS, CQC)',
    description: l(
      'Quality management system for the design and manufacture of medical devices.',
      '医疗器械设计与生产的质量管理体系认证。',
    ),
  },
  {
    id: 'ce-marking',
    name: l('CE marking (EU MDR 2017/745 / PPE Regulation 2016/425)', 'CE认证（欧盟医疗器械法规/个人防护装备法规）'),
    issuer: 'European Union (conformity assessed by EU notified bodies)',
    description: l(
      'Conformity marking required to sell medical devices or personal protective equipment in the European Economic Area.',
      '在欧洲经济区销售医疗器械或个人防护装备所需的合格标志。',
    ),
  },
  {
    id: 'fda-510k-eua',
    name: l('FDA 510(k) clearance / Emergency Use Authorization', '美国FDA 510(k)上市许可/紧急使用授权（EUA）'),
    issuer: 'U.S. Food and Drug Administration (FDA)',
    description: l(
      'Market clearance (510(k)) or emergency use authorization for medical devices sold in the United States.',
      '医疗器械进入美国市场所需的510(k)上市许可或紧急使用授权。',
    ),
  },
  {
    id: 'nmpa-registration',
    name: l('NMPA medical device registration certificate', '医疗器械注册证'),
    issuer: 'National Medical Products Administration (NMPA; class II devices by provincial MPAs)',
    description: l(
      'Registration required to manufacture and sell class II/III medical devices in mainland China.',
      '在中国大陆生产和销售第二类、第三类医疗器械须取得的注册证。',
    ),
  },
  {
    id: 'gb-4806',
    name: l('GB 4806 Food contact materials and articles', 'GB 4806 食品安全国家标准 食品接触材料及制品'),
    issuer: 'National Health Commission / SAMR (national food safety standard)',
    description: l(
      'National food safety standard series for plastics, paper and other materials in contact with food.',
      '食品接触用塑料、纸及其他材料和制品的食品安全国家标准系列。',
    ),
  },
  {
    id: 'iatf-16949',
    name: l('IATF 16949 Automotive quality management', 'IATF 16949 汽车质量管理体系认证'),
    issuer: 'International Automotive Task Force (IATF)',
    description: l(
      'Quality management system required by vehicle makers from their production-part suppliers.',
      '整车厂对零部件供应商要求的汽车行业质量管理体系认证。',
    ),
  },
  {
    id: 'iso-9001',
    name: l('ISO 9001 Quality management', 'ISO 9001 质量管理体系认证'),
    issuer: 'ISO (certified by accredited bodies such as CQC, SGS, BV)',
    description: l('General quality management system certification.', '通用质量管理体系认证。'),
  },
  {
    id: 'ul-listing',
    name: l('UL certification', 'UL认证'),
    issuer: 'UL (Underwriters Laboratories)',
    description: l(
      'Product safety certification for electrical and electronic products, mainly for the North American market.',
      '电气与电子产品安全认证，主要面向北美市场。',
    ),
  },
  {
    id: 'ccc',
    name: l('CCC China Compulsory Certification', 'CCC 中国强制性产品认证'),
    issuer: 'CNCA (Certification and Accreditation Administration of China)',
    description: l(
      'Mandatory certification for listed products (electrical appliances, some auto parts, etc.) sold in China.',
      '列入目录的产品（电器、部分汽车零部件等）在中国销售须取得的强制性认证。',
    ),
  },
  {
    id: 'oeko-tex',
    name: l('OEKO-TEX Standard 100', 'OEKO-TEX Standard 100 生态纺织品认证'),
    issuer: 'OEKO-TEX Association',
    description: l('Textiles tested for harmful substances.', '纺织品有害物质检测认证。'),
  },
];

const categories: Category[] = [
  // Medical supplies
  {
    id: 'surgical-mask',
    name: l('Surgical mask', '医用外科口罩'),
    sector: 'medical',
    unit: PIECE_MASK,
    capabilities: ['ultrasonic-welding', 'cleanroom-iso8', 'eo-sterilization'],
    certifications: ['yy-0469', 'nmpa-registration'],
    conversion: {
      requires: ['spunbond-nonwoven', 'ultrasonic-welding'],
      days: 6,
      throughputFactor: 0.6,
      note: l(
        'Non-woven makers add ear-loop mask machines (ultrasonic welding) and source melt-blown; in 2020 a new line was running in six days at 100,000 masks a day',
        '无纺布企业加装耳带式口罩机（超声波焊接）并采购熔喷布；2020年曾有产线6天建成、日产10万只',
      ),
    },
    referencePricePerUnit: 1,
    referenceUnitsPerDay: 100_000,
  },
  {
    id: 'disposable-medical-mask',
    name: l('Single-use medical mask', '一次性使用医用口罩'),
    sector: 'medical',
    unit: PIECE_MASK,
    capabilities: ['ultrasonic-welding', 'cleanroom-iso8'],
    certifications: ['yy-t-0969'],
    conversion: {
      requires: ['spunbond-nonwoven', 'ultrasonic-welding'],
      days: 5,
      throughputFactor: 0.7,
      note: l(
        'Non-woven makers add flat-mask machines; no fluid-resistance test needed, so slightly faster than surgical masks',
        '无纺布企业加装平面口罩机；无需液体阻隔测试，比医用外科口罩转产更快',
      ),
    },
    referencePricePerUnit: 0.6,
    referenceUnitsPerDay: 120_000,
  },
  {
    id: 'kn95-respirator',
    name: l('KN95 respirator', 'KN95 防护口罩'),
    sector: 'medical',
    unit: PIECE_MASK,
    capabilities: ['ultrasonic-welding', 'cleanroom-iso8'],
    certifications: ['gb-2626'],
    conversion: {
      requires: ['ultrasonic-welding', 'cleanroom-iso8'],
      days: 7,
      throughputFactor: 0.4,
      note: l(
        'Flat-mask plants add folded (fish/cup) respirator machines and more melt-blown layers; slower per line',
        '平面口罩厂加装折叠式（鱼型/杯型）口罩机并增加熔喷层，单线产能较低',
      ),
    },
    referencePricePerUnit: 3.5,
    referenceUnitsPerDay: 40_000,
  },
  {
    id: 'n95-medical-respirator',
    name: l('N95 medical protective mask', '医用防护口罩（N95级）'),
    sector: 'medical',
    unit: PIECE_MASK,
    capabilities: ['ultrasonic-welding', 'cleanroom-iso8', 'eo-sterilization'],
    certifications: ['gb-19083', 'nmpa-registration'],
    conversion: null,
    referencePricePerUnit: 6,
    referenceUnitsPerDay: 20_000,
  },
  {
    id: 'protective-gown',
    name: l('Disposable isolation gown', '一次性隔离衣'),
    sector: 'medical',
    unit: PIECE_GARMENT,
    capabilities: ['sewing', 'heat-sealing'],
    certifications: [],
    conversion: {
      requires: ['sewing', 'heat-sealing'],
      days: 3,
      throughputFactor: 0.8,
      note: l(
        'Garment lines switch to gowns: sewing plus heat-sealing of the seams, non-woven or SMS fabric instead of cotton',
        '服装生产线转产隔离衣：缝纫加接缝热合压胶，面料改用无纺布或SMS复合布',
      ),
    },
    referencePricePerUnit: 12,
    referenceUnitsPerDay: 3_000,
  },
  {
    id: 'protective-coverall',
    name: l('Medical disposable protective coverall', '医用一次性防护服'),
    sector: 'medical',
    unit: PIECE_GARMENT,
    capabilities: ['sewing', 'heat-sealing', 'cleanroom-iso8', 'eo-sterilization'],
    certifications: ['gb-19082', 'nmpa-registration'],
    conversion: {
      requires: ['sewing', 'heat-sealing', 'cleanroom-iso8'],
      days: 7,
      throughputFactor: 0.5,
      note: l(
        'Garment makers with a clean room convert to coveralls: taped seams, microporous film fabric, sterilization contracted out',
        '具备洁净车间的服装企业转产防护服：接缝压胶、覆膜透气布料，灭菌可委外',
      ),
    },
    referencePricePerUnit: 80,
    referenceUnitsPerDay: 1_500,
  },
  {
    id: 'nitrile-gloves',
    name: l('Disposable nitrile gloves', '一次性丁腈手套'),
    sector: 'medical',
    unit: PIECE_MASK,
    capabilities: ['dip-moulding'],
    certifications: [],
    conversion: null,
    referencePricePerUnit: 0.45,
    referenceUnitsPerDay: 150_000,
  },
  {
    id: 'hand-sanitizer',
    name: l('Hand sanitizer gel', '免洗手消毒凝胶'),
    sector: 'medical',
    unit: BOTTLE_500ML,
    capabilities: ['chemical-blending', 'liquid-filling'],
    certifications: [],
    conversion: {
      requires: ['chemical-blending', 'liquid-filling'],
      days: 2,
      throughputFactor: 0.8,
      note: l(
        'Liquor and cosmetics plants blend ethanol with a thickener and fill on their existing bottling lines',
        '白酒厂、化妆品厂用乙醇加增稠剂配制，在原有灌装线上灌装',
      ),
    },
    referencePricePerUnit: 15,
    referenceUnitsPerDay: 20_000,
  },
  {
    id: 'disinfectant',
    name: l('75% alcohol disinfectant', '75%酒精消毒液'),
    sector: 'medical',
    unit: BOTTLE_500ML,
    capabilities: ['chemical-blending', 'liquid-filling'],
    certifications: [],
    conversion: {
      requires: ['chemical-blending', 'liquid-filling'],
      days: 3,
      throughputFactor: 0.7,
      note: l(
        'Distilleries and daily-chemical plants dilute ethanol to 75% and fill it; a disinfection-product safety filing is needed',
        '酒厂、日化厂将乙醇稀释至75%后灌装；需办理消毒产品卫生安全评价备案',
      ),
    },
    referencePricePerUnit: 12,
    referenceUnitsPerDay: 20_000,
  },
  {
    id: 'antigen-test-kit',
    name: l('COVID-19 antigen test kit', '新型冠状病毒抗原检测试剂盒（胶体金法）'),
    sector: 'medical',
    unit: l('test', '人份'),
    capabilities: ['lateral-flow-assembly', 'die-cutting', 'cleanroom-iso8'],
    certifications: ['nmpa-registration'],
    conversion: null,
    referencePricePerUnit: 15,
    referenceUnitsPerDay: 50_000,
  },
  {
    id: 'face-shield',
    name: l('Medical face shield', '医用防护面屏'),
    sector: 'medical',
    unit: PIECE_ITEM,
    capabilities: ['injection-moulding', 'die-cutting'],
    certifications: [],
    conversion: {
      requires: ['injection-moulding'],
      days: 3,
      throughputFactor: 0.5,
      note: l(
        'Plastics moulders cut a simple headband mould and die-cut PET visors (in-house or by a partner)',
        '注塑企业开简易头箍模具，PET面罩片自行或委外模切',
      ),
    },
    referencePricePerUnit: 5,
    referenceUnitsPerDay: 10_000,
  },
  {
    id: 'medical-goggles',
    name: l('Medical goggles', '医用护目镜'),
    sector: 'medical',
    unit: l('piece', '副'),
    capabilities: ['injection-moulding'],
    certifications: [],
    conversion: {
      requires: ['injection-moulding'],
      days: 10,
      throughputFactor: 0.3,
      note: l(
        'Moulders need precision frame and lens moulds plus an anti-fog coating; slower than face shields',
        '注塑企业需开精密镜框与镜片模具并增加防雾涂层，比面屏转产慢',
      ),
    },
    referencePricePerUnit: 15,
    referenceUnitsPerDay: 5_000,
  },
  // Electronics assembly
  {
    id: 'infrared-thermometer',
    name: l('Infrared forehead thermometer', '红外额温枪'),
    sector: 'electronics',
    unit: l('unit', '支'),
    capabilities: ['smt-assembly', 'functional-testing'],
    certifications: ['nmpa-registration'],
    conversion: {
      requires: ['smt-assembly'],
      days: 7,
      throughputFactor: 0.5,
      note: l(
        'EMS factories place thermopile sensor boards on their SMT lines, buy in housings and calibrate against a blackbody',
        'EMS电子代工厂在SMT线上贴装热电堆传感器板，外购外壳，用黑体校准',
      ),
    },
    referencePricePerUnit: 150,
    referenceUnitsPerDay: 3_000,
  },
  {
    id: 'ventilator-control-board',
    name: l('Ventilator control board', '呼吸机主控板'),
    sector: 'electronics',
    unit: BOARD,
    capabilities: ['smt-assembly', 'through-hole-soldering', 'functional-testing'],
    certifications: ['iso-13485'],
    conversion: {
      requires: ['smt-assembly', 'through-hole-soldering', 'functional-testing'],
      days: 14,
      throughputFactor: 0.2,
      note: l(
        'EMS factories with test capability build boards to the ventilator maker’s design; medical-grade traceability slows ramp-up',
        '具备测试能力的EMS工厂按呼吸机厂设计生产主控板；医疗级追溯要求使爬坡较慢',
      ),
    },
    referencePricePerUnit: 1_500,
    referenceUnitsPerDay: 200,
  },
  {
    id: 'pcb-assembly',
    name: l('PCB assembly (PCBA)', 'PCBA电路板组装'),
    sector: 'electronics',
    unit: BOARD,
    capabilities: ['smt-assembly', 'through-hole-soldering'],
    certifications: [],
    conversion: null,
    referencePricePerUnit: 40,
    referenceUnitsPerDay: 4_000,
  },
  // Food packaging
  {
    id: 'pp-food-container',
    name: l('Food-grade PP container', '食品级PP餐盒'),
    sector: 'food-packaging',
    unit: PIECE_ITEM,
    capabilities: ['injection-moulding'],
    certifications: ['gb-4806'],
    conversion: {
      requires: ['injection-moulding'],
      days: 7,
      throughputFactor: 0.6,
      note: l(
        'Moulders switch to food-grade PP resin and thin-wall moulds; GB 4806 migration testing before delivery',
        '注塑企业改用食品级PP原料和薄壁模具；交货前需做GB 4806迁移测试',
      ),
    },
    referencePricePerUnit: 0.6,
    referenceUnitsPerDay: 80_000,
  },
  {
    id: 'pet-bottle',
    name: l('PET beverage bottle', 'PET饮料瓶'),
    sector: 'food-packaging',
    unit: PIECE_ITEM,
    capabilities: ['blow-moulding'],
    certifications: ['gb-4806'],
    conversion: {
      requires: ['blow-moulding'],
      days: 4,
      throughputFactor: 0.7,
      note: l(
        'Other blow moulders (e.g. HDPE chemical bottles) fit stretch-blow moulds and buy in PET preforms',
        '其他吹塑企业（如化工HDPE瓶）更换拉伸吹塑模具，外购PET瓶坯',
      ),
    },
    referencePricePerUnit: 0.4,
    referenceUnitsPerDay: 80_000,
  },
  {
    id: 'paper-food-box',
    name: l('Paper food box', '纸质餐盒'),
    sector: 'food-packaging',
    unit: PIECE_ITEM,
    capabilities: ['paper-forming', 'die-cutting', 'offset-printing'],
    certifications: ['gb-4806'],
    conversion: {
      requires: ['die-cutting', 'offset-printing'],
      days: 5,
      throughputFactor: 0.5,
      note: l(
        'Carton printers switch to food-grade coated paperboard and add a box-forming machine',
        '纸箱印刷企业改用食品级淋膜纸板并加装纸盒成型机',
      ),
    },
    referencePricePerUnit: 0.5,
    referenceUnitsPerDay: 50_000,
  },
  // Auto parts
  {
    id: 'wire-harness',
    name: l('Automotive wire harness', '汽车线束'),
    sector: 'auto-parts',
    unit: l('vehicle set', '套'),
    capabilities: ['wire-crimping'],
    certifications: ['iatf-16949'],
    conversion: null,
    referencePricePerUnit: 450,
    referenceUnitsPerDay: 600,
  },
  {
    id: 'brake-pad',
    name: l('Brake pads', '汽车刹车片'),
    sector: 'auto-parts',
    unit: l('axle set', '套'),
    capabilities: ['friction-material-pressing', 'metal-stamping'],
    certifications: ['iatf-16949'],
    conversion: null,
    referencePricePerUnit: 65,
    referenceUnitsPerDay: 3_000,
  },
  {
    id: 'interior-trim-part',
    name: l('Injection-moulded interior trim part', '汽车注塑内饰件'),
    sector: 'auto-parts',
    unit: PIECE_GARMENT,
    capabilities: ['injection-moulding', 'ultrasonic-welding'],
    certifications: ['iatf-16949'],
    conversion: {
      requires: ['injection-moulding'],
      days: 21,
      throughputFactor: 0.5,
      note: l(
        'Other moulders need new tooling and PPAP approval by the vehicle maker before parts can ship',
        '其他注塑企业需新开模具并通过整车厂PPAP批准后方可供货',
      ),
    },
    referencePricePerUnit: 30,
    referenceUnitsPerDay: 6_000,
  },
  // Textiles
  {
    id: 'cotton-fabric',
    name: l('Cotton fabric (grey cloth)', '纯棉坯布'),
    sector: 'textiles',
    unit: l('metre', '米'),
    capabilities: ['weaving'],
    certifications: [],
    conversion: null,
    referencePricePerUnit: 9,
    referenceUnitsPerDay: 15_000,
  },
  {
    id: 'nonwoven-fabric',
    name: l('Spunbond non-woven fabric (SS)', '纺粘无纺布（SS）'),
    sector: 'textiles',
    unit: KG,
    capabilities: ['spunbond-nonwoven'],
    certifications: [],
    conversion: null,
    referencePricePerUnit: 25,
    referenceUnitsPerDay: 15_000,
  },
  {
    id: 'meltblown-fabric',
    name: l('Melt-blown fabric (BFE 95)', '熔喷布（BFE95）'),
    sector: 'textiles',
    unit: KG,
    capabilities: ['melt-blown-extrusion', 'electret-charging'],
    certifications: [],
    conversion: {
      requires: ['spunbond-nonwoven'],
      days: 15,
      throughputFactor: 0.1,
      note: l(
        'Spunbond plants install a melt-blown die and electret charging unit; 2020 lines were commissioned in 12 to 20 days at about a tenth of spunbond tonnage',
        '纺粘企业加装熔喷模头与驻极设备；2020年新线12至20天投产，产量约为纺粘线的十分之一',
      ),
    },
    referencePricePerUnit: 200,
    referenceUnitsPerDay: 1_000,
  },
  {
    id: 'work-uniform',
    name: l('Work uniform', '工作服'),
    sector: 'textiles',
    unit: l('set', '套'),
    capabilities: ['sewing'],
    certifications: [],
    conversion: {
      requires: ['sewing'],
      days: 3,
      throughputFactor: 0.7,
      note: l('Any garment line can sew uniforms after new patterns and fabric', '任何服装生产线更换版型和面料后即可生产工作服'),
    },
    referencePricePerUnit: 85,
    referenceUnitsPerDay: 1_500,
  },
  {
    id: 'cloth-mask',
    name: l('Reusable cloth mask', '布口罩'),
    sector: 'textiles',
    unit: PIECE_MASK,
    capabilities: ['sewing'],
    certifications: [],
    conversion: {
      requires: ['sewing'],
      days: 2,
      throughputFactor: 1,
      note: l('Garment lines sew cloth masks from cotton offcuts within days', '服装生产线用棉布边角料几天内即可缝制布口罩'),
    },
    referencePricePerUnit: 4,
    referenceUnitsPerDay: 20_000,
  },
];

export const catalog: Catalog = { categories, capabilities, certifications };

const categoryById = new Map(categories.map((c) => [c.id, c]));
const capabilityById = new Map(capabilities.map((c) => [c.id, c]));
const certificationById = new Map(certifications.map((c) => [c.id, c]));

/** Looks a category up by id. */
export function findCategory(id: string): Category | undefined {
  return categoryById.get(id);
}

/** Looks a capability up by id. */
export function findCapability(id: string): Capability | undefined {
  return capabilityById.get(id);
}

/** Looks a certification up by id. */
export function findCertification(id: string): Certification | undefined {
  return certificationById.get(id);
}

function nonEmpty(ids: string[]): [string, ...string[]] {
  if (ids.length === 0) throw new Error('catalog list is empty');
  return ids as [string, ...string[]];
}

export const categoryIds: [string, ...string[]] = nonEmpty(categories.map((c) => c.id));
export const capabilityIds: [string, ...string[]] = nonEmpty(capabilities.map((c) => c.id));
export const certificationIds: [string, ...string[]] = nonEmpty(certifications.map((c) => c.id));
