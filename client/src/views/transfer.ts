import { api, ApiError, type ImportResult, type RowDetail } from '../api';
import { foldedCard, h, replace } from '../dom';
import { errorText } from '../forms';
import { fmtInt, lang, t, type Key } from '../i18n';
import { toast } from './shell';

export type TransferKind = 'offers' | 'demands';

/** What one panel offers: the kinds it imports (the coordinator: both), and the exports it links. */
export interface TransferSpec {
  kinds: TransferKind[];
  exports: ('matches' | 'coverage')[];
  /** Folded under its title until opened (next to a posting form, where space is short). */
  folded?: boolean;
  /** A coordinator imports on behalf of organizations: every row names its organizationId. */
  staff?: boolean;
  /** Called after a file was posted (the caller reloads its list). */
  onImported?(kind: TransferKind, result: ImportResult): void;
}

/**
 * `label: CSV Excel`: the two download links of one file, `path` as CSV and as `.xlsx` in the viewer's language
 * (test ids `<testid>-csv` and `<testid>-xlsx`).
 */
function downloadLinks(label: string, path: string, testid: string): HTMLElement {
  const link = (format: 'csv' | 'xlsx', text: string) =>
    h('a', { class: 'btn btn-sm', href: `${path}?format=${format}&lang=${lang()}`, attrs: { download: '' }, testid: `${testid}-${format}` }, text);
  return h('p', { class: 'transfer-links' }, `${label}: `, link('csv', 'CSV'), ' ', link('xlsx', 'Excel'));
}

/**
 * Import and export as files: upload postings as CSV or Excel (all rows or none: a file with an error stores
 * nothing and its row errors are listed, in the viewer's language), download the template, export matches
 * (and, for coordinators, coverage) as CSV or `.xlsx`. Downloads are plain links: the session cookie
 * authenticates them.
 */
export function transferPanel(spec: TransferSpec): { el: HTMLElement; render(): void } {
  const el = h('section', { class: 'card transfer-card', testid: 'transfer' });
  let kind: TransferKind = spec.kinds[0];
  let file: File | null = null;
  let busy = false;
  let errors: RowDetail[] = [];
  let summary = '';
  let done = '';
  let open = !spec.folded;

  async function upload() {
    if (!file || busy) return;
    busy = true;
    errors = [];
    summary = '';
    done = '';
    render();
    try {
      const result = await api.importFile(kind, file, lang());
      done = t(kind === 'offers' ? 'xfer.doneOffers' : 'xfer.doneDemands', { n: fmtInt(result.created) });
      toast(done);
      file = null;
      spec.onImported?.(kind, result);
    } catch (e) {
      summary = e instanceof ApiError && e.status === 400 && e.rowDetails.length ? t('xfer.refused') : errorText(e);
      errors = e instanceof ApiError ? e.rowDetails : [];
    } finally {
      busy = false;
      render();
    }
  }

  function render() {
    const input = h('input', {
      type: 'file',
      accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      testid: 'import-file',
      key: 'import-file',
      attrs: { 'aria-label': t('xfer.file') },
      onchange: (e: Event) => {
        file = (e.target as HTMLInputElement).files?.[0] ?? null;
        errors = [];
        summary = '';
        done = '';
        renderButtonState();
      },
    });
    const submit = h('button', { type: 'button', class: 'btn btn-primary btn-sm', testid: 'import-submit', disabled: busy || !file, onclick: () => void upload() }, busy ? t('common.working') : t('xfer.upload'));
    function renderButtonState() {
      submit.disabled = busy || !file;
    }
    const kindSelect =
      spec.kinds.length > 1
        ? h(
            'select',
            {
              testid: 'import-kind',
              key: 'import-kind',
              attrs: { 'aria-label': t('xfer.kind') },
              onchange: (e: Event) => {
                kind = (e.target as HTMLSelectElement).value as TransferKind;
                render();
              },
            },
            spec.kinds.map((k) => h('option', { value: k, selected: k === kind }, t(`xfer.kind.${k}` as Key))),
          )
        : null;
    const body = [
      h(
        'div',
        { class: 'transfer-import' },
        h('p', { class: 'hint' }, t(kind === 'offers' ? 'xfer.hintOffers' : 'xfer.hintDemands'), spec.staff ? ` ${t('xfer.hintStaff')}` : ''),
        h('div', { class: 'transfer-row' }, kindSelect, input, submit),
        downloadLinks(t('xfer.template'), `/api/templates/${kind}`, 'template'),
        done ? h('p', { class: 'transfer-done', testid: 'import-done', attrs: { role: 'status' } }, done) : null,
        summary ? h('p', { class: 'form-error', testid: 'import-error', attrs: { role: 'alert' } }, summary) : null,
        errors.length
          ? h(
              'table',
              { class: 'table compact import-errors', testid: 'import-errors' },
              h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('xfer.row')), h('th', { scope: 'col' }, t('xfer.column')), h('th', { scope: 'col' }, t('xfer.problem')))),
              h(
                'tbody',
                null,
                errors.slice(0, 50).map((r) =>
                  h(
                    'tr',
                    { testid: 'import-error-row', dataset: { row: r.row ?? '', column: r.column ?? '' } },
                    h('td', null, r.row === undefined ? '—' : fmtInt(r.row)),
                    h('td', null, r.column ?? '—'),
                    h('td', null, r.message),
                  ),
                ),
              ),
            )
          : null,
      ),
      spec.exports.length
        ? h(
            'div',
            { class: 'transfer-export' },
            spec.exports.map((x) => downloadLinks(t(x === 'matches' ? 'xfer.exportMatches' : 'xfer.exportCoverage'), `/api/export/${x}`, `export-${x}`)),
          )
        : null,
    ];
    if (!spec.folded) return replace(el, h('h2', null, t('xfer.title')), body);
    replace(el, foldedCard(open, (now) => (open = now), h('summary', { key: 'transfer-summary', testid: 'transfer-toggle' }, h('h2', null, t('xfer.title'))), body));
  }

  render();
  return { el, render };
}
