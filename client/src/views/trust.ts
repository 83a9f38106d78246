import { catalog } from '../../../models/catalog';
import type { CertificationRecord, SupplierProfile } from '../../../models/trust.schema';
import { api, ApiError, type TrustStatus } from '../api';
import { foldedCard, h, replace } from '../dom';
import { dateInputValue, dateToIso, errorText } from '../forms';
import { byLabel, categoryName, certificationName, fmtDate, fmtInt, fmtPct, fmtUnits, orgName, provinceName, t, type Key } from '../i18n';
import { store } from '../store';
import { toast } from './shell';

/** A certification's state as a badge: claimed, submitted, verified, rejected or expired. */
export function certBadge(c: Pick<CertificationRecord, 'state'>): HTMLElement {
  return h('span', { class: `badge cert-${c.state}`, testid: 'cert-badge', dataset: { state: c.state } }, t(`cert.state.${c.state}` as Key));
}

const validity = (c: { validFrom: string | null; validUntil: string | null }) =>
  c.validFrom && c.validUntil ? t('cert.validity', { from: fmtDate(c.validFrom), to: fmtDate(c.validUntil) }) : t('cert.noDetails');

/**
 * The organization's certifications (supplier workspace): each record with its state, details and evidence,
 * a form to upload evidence for one (it becomes `submitted`, for a coordinator to verify), and the limits
 * that apply until one is verified. Decisions arrive live (`certification:updated`).
 */
export function certificationsCard(): { el: HTMLElement; render(): void; load(): Promise<void>; refreshStatusSoon(): void } {
  const el = h('section', { class: 'card certs-card', testid: 'certifications' });
  let status: TrustStatus | null = null;
  let editing: string | null = null;
  let busy = false;
  let error = '';
  let open = false;

  async function load() {
    try {
      const [list, st] = await Promise.all([api.certifications(), api.trustStatus()]);
      for (const c of list.items) store.putCertification(c);
      status = st;
    } catch (e) {
      error = errorText(e);
    }
    render();
  }

  /** What the user typed into the evidence form: kept across redraws (a live update redraws the card). */
  let draft = { certification: '', number: '', issuer: '', from: '', until: '', file: null as File | null };
  function draftFor(certification: string, rec: CertificationRecord | undefined) {
    if (draft.certification === certification) return draft;
    draft = {
      certification,
      number: rec?.certificateNumber ?? '',
      issuer: rec?.issuer ?? '',
      from: rec?.validFrom ? dateInputValue(new Date(rec.validFrom)) : '',
      until: rec?.validUntil ? dateInputValue(new Date(rec.validUntil)) : '',
      file: null,
    };
    return draft;
  }

  function uploadForm(certification: string, rec: CertificationRecord | undefined): HTMLElement {
    const d = draftFor(certification, rec);
    const text = (k: 'number' | 'issuer' | 'from' | 'until', type: string, testid: string, max?: number) =>
      h('input', { type, value: d[k], testid, key: `${testid}:${certification}`, maxLength: max, oninput: (e: Event) => (d[k] = (e.target as HTMLInputElement).value) });
    const number = text('number', 'text', 'cert-number', 64);
    const issuer = text('issuer', 'text', 'cert-issuer', 160);
    const from = text('from', 'date', 'cert-from');
    const until = text('until', 'date', 'cert-until');
    const file = h('input', {
      type: 'file',
      accept: 'application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg',
      testid: 'cert-file',
      key: `cert-file:${certification}`,
      onchange: (e: Event) => (d.file = (e.target as HTMLInputElement).files?.[0] ?? null),
    });
    const label = (text: string, control: HTMLElement) => h('label', { class: 'field' }, h('span', null, text), control);
    return h(
      'form',
      {
        class: 'form cert-form',
        testid: 'cert-form',
        noValidate: true,
        onsubmit: async (ev: SubmitEvent) => {
          ev.preventDefault();
          const f = d.file;
          if (!f) {
            error = t('cert.needFile');
            return render();
          }
          busy = true;
          error = '';
          render();
          try {
            const rec2 = await api.uploadEvidence(certification, f, {
              certificateNumber: d.number.trim() || undefined,
              issuer: d.issuer.trim() || undefined,
              validFrom: dateToIso(d.from, 'start'),
              validUntil: dateToIso(d.until, 'end'),
            });
            store.putCertification(rec2);
            editing = null;
            draft.certification = '';
            toast(t('cert.submitted'));
          } catch (e) {
            error = e instanceof ApiError && e.status !== 0 && e.message && e.status !== 401 ? `${errorText(e)} ${e.message}` : errorText(e);
          } finally {
            busy = false;
            render();
          }
        },
      },
      h('div', { class: 'row2' }, label(t('cert.number'), number), label(t('cert.issuer'), issuer)),
      h('div', { class: 'row2' }, label(t('cert.validFrom'), from), label(t('cert.validUntil'), until)),
      label(t('cert.evidence'), file),
      d.file ? h('p', { class: 'hint', testid: 'cert-file-name' }, h('span', { dataset: { i18nExempt: '' } }, d.file.name)) : null,
      h('p', { class: 'hint' }, t('cert.evidenceHint')),
      h(
        'div',
        { class: 'form-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary btn-sm', testid: 'cert-submit', disabled: busy }, busy ? t('common.working') : t('cert.upload')),
        h('button', { type: 'button', class: 'btn btn-sm', onclick: () => ((editing = null), render()) }, t('common.cancel')),
      ),
    );
  }

  function render() {
    const mine = [...store.certifications.values()].filter((c) => !store.user?.organization || c.organizationId === store.user.organization.id);
    const records = byLabel(mine, (c) => certificationName(c.certification));
    const have = new Set(records.map((c) => c.certification));
    const add = h(
      'select',
      {
        testid: 'cert-add',
        key: 'cert-add',
        attrs: { 'aria-label': t('cert.add') },
        onchange: (e: Event) => {
          editing = (e.target as HTMLSelectElement).value || null;
          render();
        },
      },
      h('option', { value: '' }, `+ ${t('cert.add')}`),
      byLabel(
        catalog.certifications.filter((c) => !have.has(c.id)),
        (c) => certificationName(c.id),
      ).map((c) => h('option', { value: c.id, selected: editing === c.id }, certificationName(c.id))),
    );
    const verified = records.filter((c) => c.state === 'verified').length;
    replace(
      el,
      foldedCard(
        open,
        (now) => (open = now),
        h(
          'summary',
          { key: 'certs-summary', testid: 'certs-toggle' },
          h('h2', null, t('cert.title')),
          h('span', { class: 'badge cert-verified', testid: 'verified-count', dataset: { n: verified } }, t('cert.verifiedCount', { n: fmtInt(verified) })),
        ),
        status?.limited
          ? h(
              'p',
              { class: 'notice limits', testid: 'trust-limits' },
              t('cert.limits', { max: fmtInt(status.maxOpenOffers), open: fmtInt(status.openOffers), share: fmtPct(status.maxShareOfCriticalDemand) }),
            )
          : null,
        error ? h('p', { class: 'form-error', attrs: { role: 'alert' }, testid: 'cert-error' }, error) : null,
        records.length === 0 ? h('p', { class: 'empty' }, t('cert.none')) : null,
        h(
          'ul',
          { class: 'cert-list' },
          records.map((c) =>
            h(
              'li',
              { class: 'cert-item', testid: 'cert-item', dataset: { certification: c.certification, state: c.state, id: c.id } },
              h('div', { class: 'cert-head' }, h('strong', null, certificationName(c.certification)), certBadge(c)),
              h('p', { class: 'hint' }, c.certificateNumber ? `${t('cert.number')} ${c.certificateNumber} · ` : '', validity(c)),
              c.state === 'rejected' && c.rejectionReason
                ? h('p', { class: 'form-error', testid: 'cert-rejection' }, t('cert.rejectedBecause'), h('span', { dataset: { i18nExempt: '' } }, c.rejectionReason))
                : null,
              c.state === 'claimed' ? h('p', { class: 'hint' }, t('cert.claimedHint')) : null,
              editing === c.certification
                ? uploadForm(c.certification, c)
                : c.state !== 'submitted'
                  ? h(
                      'button',
                      { type: 'button', class: 'btn btn-sm', testid: 'cert-edit', key: `cert-edit:${c.certification}`, onclick: () => ((editing = c.certification), render()) },
                      c.evidence ? t('cert.replace') : t('cert.submitEvidence'),
                    )
                  : h('p', { class: 'hint' }, t('cert.awaiting')),
            ),
          ),
        ),
        editing && !have.has(editing) ? h('div', { class: 'cert-item' }, h('strong', null, certificationName(editing)), uploadForm(editing, undefined)) : null,
        add,
      ),
    );
  }

  let statusTimer: ReturnType<typeof setTimeout> | null = null;
  function refreshStatusSoon() {
    if (statusTimer) return;
    statusTimer = setTimeout(async () => {
      statusTimer = null;
      try {
        status = await api.trustStatus();
        render();
      } catch {
        /* the limits note stays as it was */
      }
    }, 1000);
  }

  render();
  return { el, render, load, refreshStatusSoon };
}

/**
 * The coordinator's verification queue: submitted records within its scope, oldest first, kept current live
 * (a record leaves the queue once decided, by anyone). Open the evidence, verify, or reject with a reason.
 */
export function verificationQueue(): { el: HTMLElement; render(): void; load(): Promise<void> } {
  const el = h('section', { class: 'card queue-card', testid: 'verification-queue' });
  const reasons = new Map<string, string>();
  let error = '';
  let loaded = false;

  async function load() {
    try {
      const q = await api.certificationQueue('submitted');
      for (const c of q.items) store.putCertification(c);
      loaded = true;
    } catch (e) {
      error = errorText(e);
    }
    render();
  }

  async function decide(c: CertificationRecord, verdict: 'verify' | 'reject') {
    const reason = (reasons.get(c.id) ?? '').trim();
    if (verdict === 'reject' && reason.length < 3) {
      error = t('cert.reasonNeeded');
      return render();
    }
    try {
      store.putCertification(verdict === 'verify' ? await api.verifyCertification(c.id) : await api.rejectCertification(c.id, reason));
      reasons.delete(c.id);
      error = '';
      toast(verdict === 'verify' ? t('cert.verifiedToast') : t('cert.rejectedToast'));
    } catch (e) {
      error = e instanceof ApiError && (e.status === 403 || e.status === 409) ? `${errorText(e)} ${e.message}` : errorText(e);
    }
    render();
  }

  function render() {
    const items = [...store.certifications.values()].filter((c) => c.state === 'submitted').sort((a, b) => (a.updatedAt ?? '').localeCompare(b.updatedAt ?? ''));
    replace(
      el,
      h('h2', null, t('cert.queue'), ' ', h('span', { class: 'badge', testid: 'queue-count', dataset: { n: items.length } }, fmtInt(items.length))),
      error ? h('p', { class: 'form-error', attrs: { role: 'alert' }, testid: 'queue-error' }, error) : null,
      !loaded ? h('p', { class: 'empty' }, t('app.loading')) : items.length === 0 ? h('p', { class: 'empty', testid: 'queue-empty' }, t('cert.queueEmpty')) : null,
      h(
        'ul',
        { class: 'cert-list' },
        items.map((c) => {
          const reason = h('input', {
            type: 'text',
            value: reasons.get(c.id) ?? '',
            placeholder: t('cert.reasonPlaceholder'),
            testid: 'queue-reason',
            key: `queue-reason:${c.id}`,
            maxLength: 500,
            attrs: { 'aria-label': t('cert.reason') },
            oninput: (e: Event) => reasons.set(c.id, (e.target as HTMLInputElement).value),
          });
          return h(
            'li',
            { class: 'cert-item', testid: 'queue-item', dataset: { id: c.id, certification: c.certification } },
            h('div', { class: 'cert-head' }, h('strong', null, certificationName(c.certification)), certBadge(c)),
            h('p', null, h('span', { dataset: { i18nExempt: '' } }, orgName(c.organizationName, c.organizationNameZh)), ` · ${provinceName(c.region)}`),
            h('p', { class: 'hint' }, c.certificateNumber ? `${t('cert.number')} ${c.certificateNumber} · ` : '', c.issuer ? h('span', { dataset: { i18nExempt: '' } }, `${c.issuer} · `) : '', validity(c)),
            c.evidence
              ? h('p', null, h('a', { href: `/api/evidence/${c.evidence.fileId}`, target: '_blank', rel: 'noopener', testid: 'queue-evidence' }, t('cert.openEvidence')), ` (${c.evidence.contentType.split('/')[1].toUpperCase()})`)
              : null,
            h(
              'div',
              { class: 'form-actions queue-actions' },
              h('button', { type: 'button', class: 'btn btn-primary btn-sm', testid: 'queue-verify', key: `queue-verify:${c.id}`, onclick: () => void decide(c, 'verify') }, t('cert.verify')),
              reason,
              h('button', { type: 'button', class: 'btn btn-danger btn-sm', testid: 'queue-reject', key: `queue-reject:${c.id}`, onclick: () => void decide(c, 'reject') }, t('cert.reject')),
            ),
          );
        }),
      ),
    );
  }

  render();
  return { el, render, load };
}

/** A supplier's profile in a dialog, opened from a proposal: verified certifications, lines, record, reliability. */
export async function openSupplierProfile(orgId: string): Promise<void> {
  const dialog = h('dialog', { class: 'profile-dialog', testid: 'supplier-profile', attrs: { 'aria-labelledby': 'profile-title' } }) as HTMLDialogElement;
  document.body.appendChild(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  const close = h('button', { type: 'button', class: 'btn btn-sm', testid: 'profile-close', onclick: () => dialog.close() }, t('common.close'));
  replace(dialog, h('p', null, t('app.loading')), close);
  dialog.showModal();
  let p: SupplierProfile;
  try {
    p = await api.supplierProfile(orgId);
  } catch (e) {
    replace(dialog, h('p', { class: 'form-error' }, errorText(e)), close);
    return;
  }
  const r = p.record;
  const fact = (label: string, value: string | number, key: string) => h('div', { dataset: { fact: key, value: String(value) } }, h('dt', null, label), h('dd', null, typeof value === 'number' ? fmtInt(value) : value));
  replace(
    dialog,
    h('header', { class: 'card-head' }, h('h2', { id: 'profile-title' }, h('span', { dataset: { i18nExempt: '' } }, orgName(p.organization.name, p.organization.nameZh))), close),
    h('p', { class: 'hint' }, provinceName(p.organization.region), p.limited ? ` · ${t('profile.limited')}` : ''),
    h('h3', { class: 'sub' }, t('profile.certs')),
    p.certifications.length
      ? h(
          'ul',
          { class: 'cert-list' },
          p.certifications.map((c) =>
            h(
              'li',
              { testid: 'profile-cert', dataset: { certification: c.certification } },
              h('strong', null, certificationName(c.certification)),
              ' ',
              certBadge({ state: 'verified' }),
              h('span', { class: 'hint' }, ` ${validity(c)}`),
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('profile.noCerts')),
    h('h3', { class: 'sub' }, t('profile.lines')),
    p.lines.length
      ? h(
          'ul',
          null,
          p.lines.map((l) => h('li', { testid: 'profile-line' }, `${categoryName(l.category)} · ${t('common.perDay', { n: fmtUnits(l.unitsPerDay, l.category) })} · ${fmtDate(l.availableFrom)} – ${fmtDate(l.availableTo)}`)),
        )
      : h('p', { class: 'empty' }, t('profile.noLines')),
    h('h3', { class: 'sub' }, t('profile.record')),
    h(
      'dl',
      { class: 'facts profile-record', testid: 'profile-record' },
      fact(t('profile.answered'), r.answered, 'answered'),
      fact(t('profile.confirmed'), r.confirmed, 'confirmed'),
      fact(t('profile.onTime'), r.deliveredOnTime, 'deliveredOnTime'),
      fact(t('profile.late'), r.late, 'late'),
      fact(t('profile.cancelled'), r.cancelled, 'cancelled'),
      fact(t('profile.lapsed'), r.lapsed, 'lapsed'),
    ),
    h('h3', { class: 'sub' }, t('profile.reliability')),
    h('p', { testid: 'profile-reliability', dataset: { score: p.reliability.score } }, h('strong', null, fmtPct(p.reliability.score)), ' ', h('span', { class: 'hint' }, t('profile.formula', { good: String(p.reliability.good), settled: String(p.reliability.settled) }))),
  );
}
