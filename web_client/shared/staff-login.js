/**
 * The sign-in form every staff page shares (DESIGN.md, "Test hooks"): `username`, `password`,
 * `login-button`, and `login-error` for a refused sign-in.
 *
 * @module staff-login
 */

import {byTestId, sentence, setNotice} from '/shared/dom.js';
import {SignalingError} from '/shared/signaling.js';

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
 * @param {HTMLFormElement} form the `<form>` holding the shared hooks
 * @returns {LoginForm}
 */
export function loginForm(form) {
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
 * disabled meanwhile. A refusal is shown in `login-error`; on success the password field is cleared.
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
    setNotice(login.error, 'Enter your username and password.', 'error');
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
 * @param {unknown} error what `signIn` threw
 * @returns {string} what to tell the person
 */
function refusalText(error) {
  if (error instanceof SignalingError) {
    return error.code === 'auth_failed' ? 'Wrong username or password.' : sentence(error.message);
  }
  return 'Sign-in failed. Please try again.';
}
