import type { User } from '../../../models/auth.schema';
import { LoginSchema, RegisterSchema } from '../../../models/auth.schema';
import { catalog } from '../../../models/catalog';
import { findProvince, provinces } from '../../../models/provinces';
import { api, ApiError } from '../api';
import { h, replace } from '../dom';
import { checkboxGroup, ErrorSlots, errorText, field, numberValue, serverErrors, zodErrors } from '../forms';
import { byLabel, lang, t } from '../i18n';
import { langToggle } from './shell';

export type AuthMode = 'login' | 'register';

/** What the register form holds between redraws (a language switch redraws it). */
const reg = {
  email: '',
  password: '',
  name: '',
  role: 'supplier' as 'supplier' | 'buyer',
  orgName: '',
  region: '',
  lat: '',
  lng: '',
  certifications: new Set<string>(),
};
const login = { email: '', password: '' };

/** Sign-in and registration screens. */
export function authView(mode: AuthMode, opts: { onSignedIn: (u: User) => void; onMode: (m: AuthMode) => void; notice?: string }) {
  const el = h('div', { class: 'auth-page' });
  let currentMode = mode;
  const render = () => replace(el, currentMode === 'login' ? loginPanel() : registerPanel());

  function shell(title: string, body: HTMLElement, footer: HTMLElement) {
    return h(
      'main',
      { class: 'auth-card', id: 'main' },
      h(
        'div',
        { class: 'auth-top' },
        h('div', { class: 'brand' }, h('span', { class: 'logo', dataset: { i18nExempt: '' }, attrs: { 'aria-hidden': 'true' } }, '复'), h('div', { class: 'brand-text' }, h('strong', null, t('app.name')), h('span', { class: 'ws-title' }, t('app.tagline')))),
        langToggle(),
      ),
      h('p', { class: 'lead' }, t('auth.welcome')),
      opts.notice ? h('p', { class: 'notice', attrs: { role: 'status' } }, opts.notice) : null,
      h('h1', null, title),
      body,
      footer,
    );
  }

  function switchTo(m: AuthMode) {
    currentMode = m;
    opts.notice = undefined;
    opts.onMode(m);
    render();
  }

  function loginPanel() {
    const errors = new ErrorSlots();
    const email = h('input', { type: 'email', autocomplete: 'username', value: login.email, key: 'login-email', testid: 'login-email', required: true, oninput: (e: Event) => (login.email = (e.target as HTMLInputElement).value) });
    const password = h('input', { type: 'password', autocomplete: 'current-password', value: login.password, key: 'login-password', testid: 'login-password', required: true, oninput: (e: Event) => (login.password = (e.target as HTMLInputElement).value) });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' }, t('auth.signIn'));
    const form = h(
      'form',
      {
        class: 'form',
        testid: 'login-form',
        noValidate: true,
        onsubmit: async (ev: SubmitEvent) => {
          ev.preventDefault();
          const input = { email: login.email.trim(), password: login.password };
          const parsed = LoginSchema.safeParse(input);
          if (!parsed.success) {
            errors.show(zodErrors(parsed.error))?.focus();
            return;
          }
          errors.clear();
          submit.disabled = true;
          submit.textContent = t('auth.signingIn');
          try {
            const out = await api.login(parsed.data);
            login.password = '';
            opts.onSignedIn(out.user);
          } catch (e) {
            const msg = e instanceof ApiError && e.status === 401 ? t('auth.badLogin') : errorText(e);
            errors.show(e instanceof ApiError ? serverErrors(e.details) : new Map(), msg);
            submit.disabled = false;
            submit.textContent = t('auth.signIn');
          }
        },
      },
      field(errors, 'email', t('auth.email'), email),
      field(errors, 'password', t('auth.password'), password),
      errors.summary,
      submit,
    );
    return shell(
      t('auth.signIn'),
      form,
      h('p', { class: 'switch' }, h('a', { href: '/register', testid: 'to-register', onclick: (e: MouseEvent) => (e.preventDefault(), switchTo('register')) }, t('auth.toRegister'))),
    );
  }

  function registerPanel() {
    const errors = new ErrorSlots();
    const text = (k: 'email' | 'password' | 'name' | 'orgName', type: string, testid: string, autocomplete: string) =>
      h('input', { type, value: reg[k], key: testid, testid, autocomplete, oninput: (e: Event) => (reg[k] = (e.target as HTMLInputElement).value) });
    const lat = h('input', { type: 'text', inputMode: 'decimal', value: reg.lat, key: 'reg-lat', testid: 'reg-lat', oninput: (e: Event) => (reg.lat = (e.target as HTMLInputElement).value) });
    const lng = h('input', { type: 'text', inputMode: 'decimal', value: reg.lng, key: 'reg-lng', testid: 'reg-lng', oninput: (e: Event) => (reg.lng = (e.target as HTMLInputElement).value) });
    const region = h(
      'select',
      {
        key: 'reg-region',
        testid: 'reg-region',
        onchange: (e: Event) => {
          reg.region = (e.target as HTMLSelectElement).value;
          const p = findProvince(reg.region);
          if (p) {
            reg.lat = String(p.capital.lat);
            reg.lng = String(p.capital.lng);
            lat.value = reg.lat;
            lng.value = reg.lng;
          }
        },
      },
      h('option', { value: '' }, t('auth.selectProvince')),
      byLabel(provinces, (p) => p.name[lang()]).map((p) => h('option', { value: p.id, selected: reg.region === p.id }, p.name[lang()])),
    );
    const roleRadio = (value: 'supplier' | 'buyer', hint: string) =>
      h(
        'label',
        { class: 'radio' },
        h('input', { type: 'radio', name: 'role', value, checked: reg.role === value, key: `reg-role-${value}`, testid: `reg-role-${value}`, onchange: () => (reg.role = value) }),
        h('span', null, h('strong', null, t(`role.${value}`)), h('small', null, hint)),
      );
    const roleSet = h('fieldset', { class: 'radios' }, h('legend', null, t('auth.role')), roleRadio('supplier', t('auth.roleSupplierHint')), roleRadio('buyer', t('auth.roleBuyerHint')));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'register-submit' }, t('auth.register'));
    const certOptions = byLabel(
      catalog.certifications.map((c) => ({ id: c.id, label: c.name[lang()] })),
      (c) => c.label,
    );
    const form = h(
      'form',
      {
        class: 'form',
        testid: 'register-form',
        noValidate: true,
        onsubmit: async (ev: SubmitEvent) => {
          ev.preventDefault();
          const input = {
            email: reg.email.trim(),
            password: reg.password,
            name: reg.name.trim(),
            role: reg.role,
            organization: {
              name: reg.orgName.trim(),
              region: reg.region,
              location: { lat: numberValue(reg.lat), lng: numberValue(reg.lng) },
              certifications: [...reg.certifications],
            },
          };
          const parsed = RegisterSchema.safeParse(input);
          if (!parsed.success) {
            errors.show(zodErrors(parsed.error), t('err.fixFields'))?.focus();
            return;
          }
          errors.clear();
          submit.disabled = true;
          submit.textContent = t('auth.registering');
          try {
            const out = await api.register(parsed.data);
            reg.password = '';
            opts.onSignedIn(out.user);
          } catch (e) {
            const fieldErrs = e instanceof ApiError ? serverErrors(e.details) : new Map<string, string>();
            if (e instanceof ApiError && e.status === 409) fieldErrs.set('email', t('auth.emailTaken'));
            errors.show(fieldErrs, e instanceof ApiError && e.status === 409 ? undefined : errorText(e))?.focus();
            submit.disabled = false;
            submit.textContent = t('auth.register');
          }
        },
      },
      roleSet,
      field(errors, 'email', t('auth.email'), text('email', 'email', 'reg-email', 'username')),
      field(errors, 'password', t('auth.password'), text('password', 'password', 'reg-password', 'new-password'), { hint: t('auth.passwordHint') }),
      field(errors, 'name', t('auth.name'), text('name', 'text', 'reg-name', 'name')),
      h(
        'fieldset',
        { class: 'group' },
        h('legend', null, t('auth.orgSection')),
        field(errors, 'organization.name', t('auth.orgName'), text('orgName', 'text', 'reg-org-name', 'organization')),
        field(errors, 'organization.region', t('auth.region'), region),
        h(
          'div',
          { class: 'row2' },
          field(errors, 'organization.location.lat', t('auth.lat'), lat),
          field(errors, 'organization.location.lng', t('auth.lng'), lng),
        ),
        h('p', { class: 'hint' }, t('auth.locationHint')),
        checkboxGroup(errors, 'organization.certifications', t('auth.certs'), certOptions, reg.certifications, { testid: 'reg-certs', optional: true }),
      ),
      errors.summary,
      submit,
    );
    return shell(
      t('auth.registerTitle'),
      form,
      h('p', { class: 'switch' }, h('a', { href: '/login', testid: 'to-login', onclick: (e: MouseEvent) => (e.preventDefault(), switchTo('login')) }, t('auth.toSignIn'))),
    );
  }

  render();
  return { el, render, destroy() {} };
}
