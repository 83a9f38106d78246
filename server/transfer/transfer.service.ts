import { z } from 'zod';
import { zhCN } from '../../models/zod-zh';
import { findCategory } from '../../models/catalog';
import { DemandInputSchema, type DemandInput } from '../../models/demand.schema';
import type { Match } from '../../models/match.schema';
import { OfferInputSchema, type OfferInput } from '../../models/offer.schema';
import { provinceAt } from '../../models/provinces';
import { isStaff, shapeMatch } from '../access/policy';
import type { AuthContext } from '../auth/auth.service';
import { AppError } from '../errors';
import type { Ledger } from '../ledger/ledger';
import type { OrgInfo } from '../ledger/state';
import type { CoverageService } from '../metrics/coverage.service';
import { postDemand, postOffer } from '../postings/postings.service';
import { cellValue, columnOf, columnOfPath, columns, toInput, type Cell, type Kind, type Lang } from './columns';
import { readTable, writeTable, type Format } from './files';

/** One refused cell or row of an import. */
export interface RowError {
  row: number;
  column: string | null;
  code: string;
  message: string;
}

const text: Record<string, Record<Lang, (p: Record<string, string>) => string>> = {
  unknown_column: { en: (p) => `Unknown column "${p.header}"`, zh: (p) => `无法识别的列“${p.header}”` },
  missing_column: { en: (p) => `The required column "${p.column}" is missing`, zh: (p) => `缺少必填列“${p.column}”` },
  duplicate_column: { en: (p) => `The column "${p.column}" appears twice`, zh: (p) => `列“${p.column}”重复出现` },
  organization_required: { en: () => 'Give the id of the organization this row is for', zh: () => '请填写该行所属机构的编号' },
  organization_not_found: { en: (p) => `No organization with id ${p.id}`, zh: (p) => `找不到编号为 ${p.id} 的机构` },
  organization_wrong_kind: { en: (p) => `Organization ${p.id} is not a ${p.kind}`, zh: (p) => `机构 ${p.id} 不是${p.kind === 'supplier' ? '供应方' : '需求方'}` },
  not_your_organization: { en: () => 'You can post only for your own organization', zh: () => '只能为本机构发布' },
  rejected: { en: (p) => `Refused when posting: ${p.message}`, zh: (p) => `发布时被拒绝：${p.message}` },
  offer_ref_conflict: {
    en: (p) => `Offer reference "${p.ref}": ${p.column} differs from row ${p.row}, which gives the offer's other columns (leave it empty on this line, or give the same)`,
    zh: (p) => `产能编号“${p.ref}”：${p.column} 与第 ${p.row} 行不同（该行填写这条发布的其他各列；本行请留空或填写相同的值）`,
  },
};
const say = (lang: Lang, code: string, p: Record<string, string> = {}) => text[code][lang](p);

/** The viewer's language: `?lang=`, else the first of Accept-Language that is Chinese or English. */
export function langOf(q: string | undefined, acceptLanguage: string | undefined): Lang {
  if (q === 'zh' || q === 'en') return q;
  const first = (acceptLanguage ?? '').split(',').map((x) => x.trim().toLowerCase()).find((x) => x.startsWith('zh') || x.startsWith('en'));
  return first?.startsWith('zh') ? 'zh' : 'en';
}

const localeError = { en: z.locales.en().localeError, zh: zhCN().localeError };

/**
 * Import and export of postings, matches and coverage. An import is validated whole (every row with the
 * API's own zod schema, in the viewer's language) and then posted as ONE ledger command: all rows or none.
 */
export class TransferService {
  constructor(
    private readonly ledger: Ledger,
    private readonly coverage: CoverageService,
  ) {}

  /** The organization each row is posted for, as the caller may post. */
  private async orgFor(auth: AuthContext, kind: Kind, given: string | undefined, lang: Lang, row: number, errors: RowError[]): Promise<OrgInfo | null> {
    const wanted = kind === 'offers' ? 'supplier' : 'buyer';
    if (!isStaff(auth)) {
      if (given && given !== auth.organizationId) {
        errors.push({ row, column: 'organizationId', code: 'not_your_organization', message: say(lang, 'not_your_organization') });
        return null;
      }
      return this.ledger.ensureOrg(auth.organizationId!);
    }
    if (!given) {
      errors.push({ row, column: 'organizationId', code: 'organization_required', message: say(lang, 'organization_required') });
      return null;
    }
    let org: OrgInfo;
    try {
      org = await this.ledger.ensureOrg(given);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) {
        errors.push({ row, column: 'organizationId', code: 'organization_not_found', message: say(lang, 'organization_not_found', { id: given }) });
        return null;
      }
      throw err;
    }
    if (org.kind !== wanted) {
      errors.push({ row, column: 'organizationId', code: 'organization_wrong_kind', message: say(lang, 'organization_wrong_kind', { id: given, kind: wanted }) });
      return null;
    }
    return org;
  }

  /**
   * Imports a file of offers or demands. Suppliers import offers and buyers demands, for their own
   * organization; coordinators either, for the organization each row names.
   * @throws AppError 400 with `details: RowError[]` when any row is wrong (nothing is stored), 403, 413
   */
  async importPostings(auth: AuthContext, kind: Kind, file: Buffer, lang: Lang): Promise<{ kind: Kind; created: number; ids: string[]; proposedUnits: number }> {
    assertMayImport(auth, kind);
    const table = await readTable(file);
    const errors: RowError[] = [];
    // header: every column known, once; the required ones present
    const ids: (string | null)[] = [];
    table.header.forEach((h, i) => {
      if (h === '') return void ids.push(null);
      const col = columnOf(kind, h);
      if (!col) {
        errors.push({ row: 1, column: h.slice(0, 64), code: 'unknown_column', message: say(lang, 'unknown_column', { header: h.slice(0, 64) }) });
        ids.push(null);
      } else if (ids.includes(col.id)) {
        errors.push({ row: 1, column: col.id, code: 'duplicate_column', message: say(lang, 'duplicate_column', { column: col.id }) });
        ids.push(null);
      } else ids.push(col.id);
      void i;
    });
    for (const col of columns[kind]) {
      if (col.required && !ids.includes(col.id)) errors.push({ row: 1, column: col.id, code: 'missing_column', message: say(lang, 'missing_column', { column: col.id }) });
    }
    if (errors.length) throw rejected(errors, lang);

    const schema = kind === 'offers' ? OfferInputSchema : DemandInputSchema;
    // the postings: one per row, except offer rows sharing an `offerRef` (one offer, a product line per row)
    type Posting = { rows: number[]; organizationId?: string; input: Record<string, unknown>; cells: Map<string, Cell> };
    const postings: Posting[] = [];
    const byRef = new Map<string, Posting>();
    for (const r of table.rows) {
      const cells = new Map<string, Cell>();
      ids.forEach((id, i) => id && cells.set(id, r.cells[i]));
      const { organizationId, offerRef: ref, input } = toInput(kind, cells);
      const key = `${organizationId ?? ''}\u0000${ref}`;
      const first = ref ? byRef.get(key) : undefined;
      if (!ref || !first) {
        const p: Posting = { rows: [r.row], organizationId, input, cells };
        postings.push(p);
        if (ref) byRef.set(key, p);
        continue;
      }
      // another line of the same offer: its other cells are empty or the first row's
      for (const col of columns.offers) {
        if (['category', 'unitsPerDay', 'offerRef', 'organizationId'].includes(col.id)) continue;
        // the same value however the file gives it (a spreadsheet may give a number or a date where a CSV gives text)
        const given = cellValue(col, cells.get(col.id));
        if (given === undefined || JSON.stringify(given) === JSON.stringify(cellValue(col, first.cells.get(col.id)))) continue;
        errors.push({ row: r.row, column: col.id, code: 'offer_ref_conflict', message: say(lang, 'offer_ref_conflict', { ref, column: col.id, row: String(first.rows[0]) }) });
      }
      (first.input.products as unknown[]).push(...(input.products as unknown[]));
      first.rows.push(r.row);
    }
    const good: { row: number; org: OrgInfo; input: OfferInput | DemandInput }[] = [];
    for (const p of postings) {
      const org = await this.orgFor(auth, kind, p.organizationId, lang, p.rows[0], errors);
      const parsed = schema.safeParse(p.input, { error: localeError[lang] });
      if (!parsed.success) {
        const seen = new Set<string>();
        for (const issue of parsed.error.issues) {
          const column = columnOfPath(kind, issue.path);
          // a product line's issue is on the row that gave the line
          const line = kind === 'offers' && issue.path[0] === 'products' && typeof issue.path[1] === 'number' ? issue.path[1] : 0;
          const row = p.rows[line] ?? p.rows[0];
          if (seen.has(`${row}:${column}`)) continue;
          seen.add(`${row}:${column}`);
          errors.push({ row, column: column || null, code: issue.code, message: issue.message });
        }
        continue;
      }
      if (org) good.push({ row: p.rows[0], org, input: parsed.data });
    }
    if (errors.length) throw rejected(errors, lang);

    // one command: every row is posted and matched, or none is
    let row = 0;
    try {
      return await this.ledger.submit((tx) => {
        const out: string[] = [];
        let proposed = 0;
        for (const g of good) {
          row = g.row;
          const p = kind === 'offers' ? postOffer(tx, g.org, g.input as OfferInput) : postDemand(tx, g.org, g.input as DemandInput);
          out.push(p.id);
        }
        for (const id of out) proposed += kind === 'offers' ? tx.state.proposedForOffer(id) : tx.state.proposedForDemand(id);
        return { kind, created: out.length, ids: out, proposedUnits: proposed };
      });
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        throw rejected([{ row, column: null, code: 'rejected', message: say(lang, 'rejected', { message: err.message }) }], lang);
      }
      throw err;
    }
  }

  /** An empty file to fill in, with a second sheet (xlsx) explaining each column with an example. */
  template(kind: Kind, format: Format, lang: Lang): Promise<Buffer> {
    const cols = columns[kind];
    const header = cols.map((c) => (lang === 'zh' ? `${c.label.zh} (${c.id})` : c.id));
    const help = cols.map((c) => [c.id, c.label[lang], c.required ? (lang === 'zh' ? '必填' : 'required') : lang === 'zh' ? '选填' : 'optional', c.help[lang], c.example]);
    const helpHeader = lang === 'zh' ? ['列', '名称', '是否必填', '说明', '示例'] : ['column', 'name', 'required', 'description', 'example'];
    return writeTable(format, kind, header, [], { name: lang === 'zh' ? '说明' : 'help', header: helpHeader, rows: help });
  }

  /** The matches the viewer may see (its organization's, or all for staff), shaped for it. */
  async exportMatches(auth: AuthContext, format: Format, lang: Lang): Promise<Buffer> {
    const s = this.ledger.state;
    let list: Match[];
    if (isStaff(auth)) list = [...s.matches.values()];
    else {
      const org = auth.organizationId;
      const ids = new Set<string>();
      if (org) for (const p of [...s.offerIdsOf(org), ...s.demandIdsOf(org)]) for (const id of s.matchIdsFor(p)) ids.add(id);
      list = [...ids].map((id) => s.matches.get(id)!).filter((m) => m && (m.buyerOrgId === org || m.supplierOrgId === org));
    }
    list.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const header = ['id', 'status', 'category', 'categoryName', 'unit', 'units', 'buyerOrgName', 'supplierOrgName', 'buyerRegion', 'deliveryRegion', 'supplierRegion', 'priority', 'pricePerUnit', 'maxPricePerUnit', 'score', 'dueAt', 'createdAt', 'updatedAt'];
    const rows = list.map((raw) => {
      const m = shapeMatch(auth, raw);
      const cat = findCategory(m.category);
      const d = s.demands.get(m.demandId);
      return [
        m.id, m.status, m.category, cat?.name[lang] ?? m.category, cat?.unit[lang] ?? '', m.units, m.buyerOrgName, m.supplierOrgName, m.region,
        d ? provinceAt(d.deliveryLocation).id : '', m.supplierRegion, m.priority, m.explanation?.pricePerUnit ?? null, m.explanation?.maxPricePerUnit ?? null,
        m.score, m.dueAt ?? null, m.createdAt, m.updatedAt,
      ];
    });
    return writeTable(format, 'matches', header, rows);
  }

  /** Coverage per category and delivery province (coordinators), each product in its own unit. */
  async exportCoverage(format: Format, lang: Lang): Promise<Buffer> {
    const c = this.coverage.get();
    const header = ['category', 'categoryName', 'unit', 'region', 'demandedUnits', 'proposedUnits', 'confirmedUnits', 'deliveredUnits', 'shortageUnits', 'supplyUnits', 'criticalShortageUnits', 'openDemands', 'earliestDeadline', 'shortageValueCny'];
    const rows = c.rows.map((r) => {
      const cat = findCategory(r.category);
      return [r.category, cat?.name[lang] ?? r.category, cat?.unit[lang] ?? '', r.region, r.demandedUnits, r.proposedUnits, r.confirmedUnits, r.deliveredUnits, r.shortageUnits, r.supplyUnits, r.criticalShortageUnits, r.openDemands, r.earliestDeadline, Math.round(r.shortageUnits * (cat?.referencePricePerUnit ?? 0) * 100) / 100];
    });
    return writeTable(format, 'coverage', header, rows);
  }
}

/** Suppliers import offers, buyers demands (for their own organization); staff either. @throws AppError forbidden */
export function assertMayImport(auth: AuthContext, kind: Kind) {
  if (isStaff(auth)) return;
  if ((kind === 'offers' && auth.role !== 'supplier') || (kind === 'demands' && auth.role !== 'buyer')) {
    throw AppError.forbidden(kind === 'offers' ? 'Only suppliers (or coordinators) import offers' : 'Only buyers (or coordinators) import demands');
  }
  if (!auth.organizationId) throw AppError.forbidden('Your account has no organization');
}

function rejected(errors: RowError[], lang: Lang) {
  errors.sort((a, b) => a.row - b.row);
  const rows = new Set(errors.map((e) => e.row)).size;
  const message = lang === 'zh' ? `文件有 ${rows} 行存在错误，未保存任何内容` : `${rows} row${rows === 1 ? '' : 's'} of the file ${rows === 1 ? 'has' : 'have'} errors; nothing was stored`;
  return new AppError('validation_failed', message, 400, errors.slice(0, 1000));
}
