import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { AppError } from '../errors';
import type { Cell } from './columns';

export type Format = 'csv' | 'xlsx';
export const MIME: Record<Format, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Limits of an uploaded file. */
export const LIMITS = { bytes: 2 * 1024 * 1024, rows: 500, columns: 40, unzippedBytes: 40 * 1024 * 1024, zipEntries: 2000 };

/** A table read from a file: the header cells and each data row with its row number in the file (1 = header). */
export interface Table {
  header: string[];
  rows: { row: number; cells: Cell[] }[];
}

const tooBig = (message: string) => new AppError('payload_too_large', message, 413);

/**
 * What a ZIP (an .xlsx is one) says it unpacks to, from its central directory, so a small file that would
 * inflate to gigabytes is refused before it is opened. @throws AppError 400 for a broken archive, 413 too large
 */
function checkZip(buf: Buffer) {
  const min = Math.max(0, buf.length - 22 - 65_535);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw AppError.badRequest('The file is not a readable .xlsx workbook');
  const entries = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (entries > LIMITS.zipEntries) throw tooBig('The workbook has too many parts');
  let total = 0;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw AppError.badRequest('The file is not a readable .xlsx workbook');
    total += buf.readUInt32LE(p + 24);
    if (total > LIMITS.unzippedBytes) throw tooBig(`The workbook unpacks to more than ${LIMITS.unzippedBytes / 1024 / 1024} MB`);
    p += 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
}

function plain(v: ExcelJS.CellValue): Cell {
  if (v === null || v === undefined) return null;
  if (v instanceof Date || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'object') {
    if ('result' in v) return plain((v as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
    if ('richText' in v) return (v as ExcelJS.CellRichTextValue).richText.map((r) => r.text).join('');
    if ('text' in v) return String((v as ExcelJS.CellHyperlinkValue).text);
    if ('error' in v) return null;
  }
  return String(v);
}

async function readXlsx(buf: Buffer): Promise<Table> {
  checkZip(buf);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    throw AppError.badRequest('The file is not a readable .xlsx workbook');
  }
  const ws = wb.worksheets[0];
  if (!ws) throw AppError.badRequest('The workbook has no sheet');
  if (ws.rowCount > LIMITS.rows + 1 + 1000) throw tooBig(`At most ${LIMITS.rows} rows per file`);
  const table: Table = { header: [], rows: [] };
  ws.eachRow({ includeEmpty: false }, (r, n) => {
    const cells: Cell[] = [];
    const count = Math.min(r.cellCount, LIMITS.columns);
    for (let i = 1; i <= count; i++) cells.push(plain(r.getCell(i).value));
    if (!table.header.length && !table.rows.length) table.header = cells.map((x) => (x === null || x === undefined ? '' : String(x).trim()));
    else table.rows.push({ row: n, cells });
  });
  return table;
}

function readCsv(buf: Buffer): Table {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw AppError.badRequest('A CSV file must be UTF-8 text (save it as "CSV UTF-8")');
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: false, trim: true, max_record_size: 64 * 1024, to_line: LIMITS.rows + 1001 });
  } catch (err) {
    throw AppError.badRequest(`The CSV file cannot be read: ${(err as Error).message.slice(0, 200)}`);
  }
  const table: Table = { header: [], rows: [] };
  records.forEach((rec, i) => {
    if (rec.every((x) => x === '')) return;
    const cells = rec.slice(0, LIMITS.columns);
    if (!table.header.length && !table.rows.length) table.header = cells;
    else table.rows.push({ row: i + 1, cells });
  });
  return table;
}

/** Reads an uploaded table: an .xlsx (by its ZIP signature) or a UTF-8 CSV. */
export async function readTable(buf: Buffer): Promise<Table> {
  if (!buf.length) throw AppError.badRequest('The file is empty');
  const table = buf.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) ? await readXlsx(buf) : readCsv(buf);
  if (!table.header.length) throw AppError.badRequest('The file has no header row');
  if (!table.rows.length) throw AppError.badRequest('The file has no data rows');
  if (table.rows.length > LIMITS.rows) throw tooBig(`At most ${LIMITS.rows} rows per file; this one has ${table.rows.length}`);
  return table;
}

/**
 * A CSV text cell a spreadsheet program would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return: names come from other organizations) gets a leading apostrophe, so it opens as text (OWASP's
 * advice for CSV injection). Numbers and dates are written as they are; the .xlsx export stores strings as strings.
 */
function csvCell(x: unknown) {
  if (x === null || x === undefined) return '';
  if (x instanceof Date) return x.toISOString();
  if (typeof x === 'string' && /^[=+\-@\t\r]/.test(x)) return `'${x}`;
  return x;
}

/** Writes a table as CSV (with a BOM, so spreadsheet programs read Chinese right) or as an .xlsx workbook. */
export async function writeTable(format: Format, sheet: string, header: string[], rows: unknown[][], extra?: { name: string; header: string[]; rows: unknown[][] }): Promise<Buffer> {
  if (format === 'csv') return Buffer.from(stringify([header.map(csvCell), ...rows.map((r) => r.map(csvCell))], { bom: true }));
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Fuchan';
  const add = (name: string, h: string[], rs: unknown[][]) => {
    const ws = wb.addWorksheet(name);
    ws.addRow(h).font = { bold: true };
    for (const r of rs) ws.addRow(r.map((x) => (x === undefined ? null : x)));
    ws.columns.forEach((col) => (col.width = 18));
  };
  add(sheet, header, rows);
  if (extra) add(extra.name, extra.header, extra.rows);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
