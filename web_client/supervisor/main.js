/**
 * Supervisor console: sign in (role `supervisor`), then watch the live queue, the tellers, the
 * service figures and the calls in progress. The page only listens: the server pushes a
 * `supervisor_snapshot` right after `welcome` and every 2 s, and each one redraws the dashboard.
 */

import {byId, sentence, setNotice} from '/shared/dom.js';
import {CloseCode, SignalingClient, closeText} from '/shared/signaling.js';
import {bindLoginForm, loginForm} from '/shared/staff-login.js';
import {ServiceView} from '/supervisor/service.js';
import {renderQueues, renderSessions, renderTellers} from '/supervisor/tables.js';

/** @typedef {import('/shared/signaling.js').SupervisorSnapshotMessage} SupervisorSnapshotMessage */
/** @typedef {import('/shared/staff-login.js').Credentials} Credentials */

/** Snapshots come every 2 s; after this long without one the dashboard is marked stale. */
const STALE_AFTER_MS = 6000;

const ui = {
  name: byId('supervisor-name', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  notice: byId('notice', HTMLElement),
  login: loginForm(byId('login-form', HTMLFormElement)),
  dashboard: byId('dashboard', HTMLElement),
  updated: byId('updated', HTMLElement),
  waitingTotal: byId('waiting-total', HTMLElement),
  sessionsTotal: byId('sessions-total', HTMLElement),
  queueRows: byId('queue-rows', HTMLTableSectionElement),
  tellerRows: byId('teller-rows', HTMLTableSectionElement),
  sessionRows: byId('session-rows', HTMLTableSectionElement),
};

const page = {
  /** @type {SignalingClient|null} set while signed in */
  signaling: null,
  /** The sign-out was asked for: no "connection lost" message. */
  signingOut: false,
  /** @type {ReturnType<typeof setTimeout>|undefined} marks the dashboard stale when it fires */
  staleTimer: undefined,
};

const service = new ServiceView();

/** Show the sign-in form or the dashboard. */
function render() {
  const signedIn = page.signaling !== null;
  ui.login.form.hidden = signedIn;
  ui.dashboard.hidden = !signedIn;
  ui.signOut.hidden = !signedIn;
}

/** @param {SupervisorSnapshotMessage} snapshot */
function onSnapshot(snapshot) {
  renderQueues(ui.queueRows, snapshot.queues);
  renderTellers(ui.tellerRows, snapshot.tellers);
  renderSessions(ui.sessionRows, snapshot.sessions);
  service.render(snapshot.service);
  const waiting = snapshot.queues.reduce((sum, queue) => sum + queue.waiting, 0);
  ui.waitingTotal.textContent = String(waiting);
  ui.sessionsTotal.textContent = String(snapshot.sessions.length);
  const at = new Date(snapshot.at * 1000).toLocaleTimeString();
  ui.updated.textContent = `Live · updated at ${at}`;
  ui.updated.dataset.stale = 'false';
  ui.updated.dataset.at = String(snapshot.at);
  clearTimeout(page.staleTimer);
  page.staleTimer = setTimeout(() => {
    ui.updated.dataset.stale = 'true';
    ui.updated.textContent = `No update since ${at}: the figures may be out of date.`;
  }, STALE_AFTER_MS);
}

/**
 * @param {Credentials} credentials
 * @returns {Promise<void>} resolves once signed in
 */
async function signIn(credentials) {
  setNotice(ui.notice, '');
  const client = new SignalingClient();
  client.on('supervisor_snapshot', onSnapshot);
  client.on('error', (message) => {
    console.warn(`supervisor: server refused ${message.ref_type ?? 'a message'}: ${message.code}`);
    setNotice(ui.notice, sentence(message.message), 'error');
  });
  client.onClose((event) => {
    if (page.signaling === client) {
      onDisconnected(event);
    }
  });
  const welcome = await client.connect({role: 'supervisor', ...credentials});
  page.signaling = client;
  ui.name.textContent = welcome.display_name ?? credentials.username;
  render();
}

/** @param {CloseEvent} event */
function onDisconnected(event) {
  const voluntary = page.signingOut;
  page.signaling = null;
  page.signingOut = false;
  clearTimeout(page.staleTimer);
  ui.name.textContent = '';
  render();
  if (!voluntary) {
    const text = event.code === CloseCode.REPLACED ?
      'You were signed out because this account signed in somewhere else.' : closeText(event);
    setNotice(ui.notice, text, 'error');
  }
}

function onSignOut() {
  if (page.signaling) {
    page.signingOut = true;
    page.signaling.close();
  }
}

bindLoginForm(ui.login, signIn);
ui.signOut.addEventListener('click', onSignOut);
window.addEventListener('pagehide', () => {
  page.signingOut = true;
  page.signaling?.close();
});
render();
