/**
 * The sign-in form every staff page shares (DESIGN.md, "Test hooks"): `username`, `password`,
 * `login-button`, and `login-error` for a refused sign-in. The markup lives here once: a page holds
 * an empty `<form id="login-form" novalidate>` (styled by the page) and {@link loginForm} fills it,
 * in the page language (shared/i18n.js: Chinese by default, `?lang=en` for English), with a link to
 * the other language.
 *
 * @module staff-login
 */

import {byTestId, setNotice} from '/shared/dom.js';
import {staffErrorText} from '/shared/error-texts.js';
import {Strings, chooseLanguage, rememberLanguage} from '/shared/i18n.js';
import {SignalingError} from '/shared/signaling.js';

/** @type {Record<string, import('/shared/i18n.js').StringTable>} */
export const LOGIN_TABLES = {
  'zh-CN': {
    'login.heading': '员工登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.switch': 'English',
    'login.switch_label': 'Switch to English',
    'login.missing': '请输入用户名和密码。',
    'login.failed': '登录失败，请重试。',
  },
  'en': {
    'login.heading': 'Staff sign-in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.switch': '中文',
    'login.switch_label': '切换到中文',
    'login.missing': 'Enter your username and password.',
    'login.failed': 'Sign-in failed. Please try again.',
  },
};

const strings = new Strings(LOGIN_TABLES, chooseLanguage(Object.keys(LOGIN_TABLES)));

/**
 * @typedef {object} LoginForm
 * @property {HTMLFormElement} form
 * @property {HTMLInputElement} username
 * @property {HTMLInputElement} password
 * @property {HTMLButtonElement} button
 * @property {HTMLElement} error
 */

/** @typedef {{username: string, password: string}} Credentials */

/**
 * @param {string} tag
 * @param {Record<string, string>} attributes
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function make(tag, attributes, text) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

/**
 * @param {'username'|'password'} name
 * @param {Record<string, string>} attributes
 * @returns {HTMLElement} the labelled field
 */
function field(name, attributes) {
  const wrap = make('div', {class: 'field'});
  wrap.append(
    make('label', {for: name}, strings.t(`login.${name}`)),
    make('input', {id: name, 'data-testid': name, name, maxlength: name === 'username' ? '64' : '256',
      required: '', ...attributes}),
  );
  return wrap;
}

/**
 * Fill the page's empty sign-in `<form>` with the shared fields and return them.
 * @param {HTMLFormElement} form the page's `<form id="login-form">`, empty
 * @returns {LoginForm}
 */
export function loginForm(form) {
  const other = strings.lang === 'en' ? 'zh-CN' : 'en';
  const switchLink = make('a', {class: 'login-language', 'data-testid': 'login-language', href: `?lang=${other}`,
    lang: other,
    'aria-label': strings.t('login.switch_label')}, strings.t('login.switch'));
  switchLink.addEventListener('click', () => rememberLanguage(other));
  const head = make('div', {class: 'login-head'});
  head.append(make('h2', {}, strings.t('login.heading')), switchLink);
  form.noValidate = true;
  form.replaceChildren(
    head,
    field('username', {type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false'}),
    field('password', {type: 'password', autocomplete: 'current-password'}),
    make('p', {class: 'notice error', 'data-testid': 'login-error', role: 'alert', hidden: ''}),
    make('button', {class: 'button', 'data-testid': 'login-button', type: 'submit'}, strings.t('login.submit')),
  );
  return {
    form,
    username: byTestId('username', HTMLInputElement),
    password: byTestId('password', HTMLInputElement),
    button: byTestId('login-button', HTMLButtonElement),
    error: byTestId('login-error', HTMLElement),
  };
}

/**
 * Handle the form's submit: check that both fields are filled, then call `signIn`, keeping the form
 * disabled meanwhile. A refusal is shown in `login-error` (`data-code` = the server's code); on
 * success the password field is cleared.
 * @param {LoginForm} login
 * @param {(credentials: Credentials) => Promise<void>} signIn resolves once signed in; rejects with
 *   a {@link SignalingError} when the server refuses or cannot be reached
 */
export function bindLoginForm(login, signIn) {
  login.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(login, signIn);
  });
}

/**
 * @param {LoginForm} login
 * @param {(credentials: Credentials) => Promise<void>} signIn
 * @returns {Promise<void>}
 */
async function submit(login, signIn) {
  const username = login.username.value.trim();
  const password = login.password.value;
  if (!username || !password) {
    login.error.dataset.code = 'missing';
    setNotice(login.error, strings.t('login.missing'), 'error');
    (username ? login.password : login.username).focus();
    return;
  }
  setNotice(login.error, '');
  setBusy(login, true);
  let refused = false;
  try {
    await signIn({username, password});
    login.password.value = '';
  } catch (error) {
    refused = true;
    if (!(error instanceof SignalingError)) {
      console.error('sign-in failed', error);
    }
    login.error.dataset.code = error instanceof SignalingError ? error.code : 'failed';
    setNotice(login.error, refusalText(error), 'error');
  } finally {
    setBusy(login, false);
  }
  if (refused) {
    login.password.select(); // after re-enabling: a disabled field cannot take focus
  }
}

/**
 * @param {LoginForm} login
 * @param {boolean} busy
 */
function setBusy(login, busy) {
  login.button.disabled = busy;
  login.username.disabled = busy;
  login.password.disabled = busy;
}

/**
 * What to tell the person about a refused sign-in: the server's code in the shared staff wording
 * (shared/error-texts.js).
 * @param {unknown} error what `signIn` threw
 * @returns {string}
 */
function refusalText(error) {
  if (error instanceof SignalingError) {
    return staffErrorText(error.code, strings.lang, error.message);
  }
  return strings.t('login.failed');
}
