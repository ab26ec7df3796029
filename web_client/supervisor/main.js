/**
 * Supervisor console: sign in (role `supervisor`), then watch the live queue, the tellers, the
 * service figures and the calls in progress. The server pushes a `supervisor_snapshot` right after
 * `welcome` and every 2 s, and each one redraws the dashboard.
 *
 * Silent monitoring (docs/protocol.md): a row's Monitor button sends `monitor_start`; on
 * `monitor_started` the monitoring panel opens and a receive-only peer connection offers to the hub
 * (supervisor/monitor.js); "Stop monitoring" sends `monitor_stop`, and `monitor_stopped` (stopped,
 * session ended, media failed) ends the panel. One session at a time: the other rows' buttons are
 * disabled meanwhile.
 *
 * Chinese by default, English with `?lang=en` (supervisor/strings.js); `<html lang>` follows.
 */

import {byId, setNotice} from '/shared/dom.js';
import {CloseCode, SignalingClient, closeText} from '/shared/signaling.js';
import {bindLoginForm, loginForm} from '/shared/staff-login.js';
import {MonitorCall} from '/supervisor/monitor.js';
import {MonitorPanel} from '/supervisor/monitor-panel.js';
import {ServiceView} from '/supervisor/service.js';
import {serverErrorText, strings, t} from '/supervisor/strings.js';
import {WaitChart} from '/supervisor/wait-chart.js';
import {renderQueues, renderSessions, renderTellers, updateMonitorButtons} from '/supervisor/tables.js';

/** @typedef {import('/shared/signaling.js').AnswerMessage} AnswerMessage */
/** @typedef {import('/shared/signaling.js').ErrorMessage} ErrorMessage */
/** @typedef {import('/shared/signaling.js').MonitorStartedMessage} MonitorStartedMessage */
/** @typedef {import('/shared/signaling.js').MonitorStoppedMessage} MonitorStoppedMessage */
/** @typedef {import('/shared/signaling.js').SupervisorSnapshotMessage} SupervisorSnapshotMessage */
/** @typedef {import('/shared/signaling.js').TellerSnapshot} TellerSnapshot */
/** @typedef {import('/supervisor/labels.js').MonitorEndReason} MonitorEndReason */
/** @typedef {import('/shared/staff-login.js').Credentials} Credentials */

/** Snapshots come every 2 s; after this long without one the dashboard is marked stale. */
const STALE_AFTER_MS = 6000;

document.documentElement.lang = strings.lang;
document.title = t('page.title');
strings.fill(document);

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

/**
 * @typedef {object} Monitoring one monitoring, from the click on Monitor until `monitor_stopped`
 * @property {string} sessionId
 * @property {MonitorCall|null} call from `monitor_started` until the end
 * @property {boolean} stopping `monitor_stop` was sent
 */

const page = {
  /** @type {SignalingClient|null} set while signed in */
  signaling: null,
  /** @type {RTCIceServer[]} from `welcome` */
  iceServers: [],
  /** @type {Monitoring|null} */
  monitoring: null,
  /** @type {readonly TellerSnapshot[]} from the latest snapshot (tellers' names for the panel) */
  tellers: [],
  /** The sign-out was asked for: no "connection lost" message. */
  signingOut: false,
  /** @type {ReturnType<typeof setTimeout>|undefined} marks the dashboard stale when it fires */
  staleTimer: undefined,
};

const service = new ServiceView();
const chart = new WaitChart();
const panel = new MonitorPanel();

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
  page.tellers = snapshot.tellers;
  renderSessions(ui.sessionRows, snapshot.sessions, monitorButtons());
  const figures = /** @type {import('/supervisor/wait-chart.js').ServiceFigures} */ (
    /** @type {unknown} */ (snapshot.service));
  service.render(figures);
  chart.render(figures, snapshot.at);
  const waiting = snapshot.queues.reduce((sum, queue) => sum + queue.waiting, 0);
  ui.waitingTotal.textContent = String(waiting);
  ui.sessionsTotal.textContent = String(snapshot.sessions.length);
  const at = new Date(snapshot.at * 1000).toLocaleTimeString(strings.lang);
  ui.updated.textContent = t('status.live', {time: at});
  ui.updated.dataset.stale = 'false';
  ui.updated.dataset.at = String(snapshot.at);
  clearTimeout(page.staleTimer);
  page.staleTimer = setTimeout(() => {
    ui.updated.dataset.stale = 'true';
    ui.updated.textContent = t('status.stale', {time: at});
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
  client.on('monitor_started', onMonitorStarted);
  client.on('answer', onAnswer);
  client.on('monitor_stopped', onMonitorStopped);
  client.on('error', (message) => {
    console.warn(`supervisor: server refused ${message.ref_type ?? 'a message'}: ${message.code}`);
    if (!onMonitorError(message)) {
      setNotice(ui.notice, serverErrorText(message.code, message.message), 'error');
    }
  });
  client.onClose((event) => {
    if (page.signaling === client) {
      onDisconnected(event);
    }
  });
  const welcome = await client.connect({role: 'supervisor', ...credentials});
  page.signaling = client;
  page.iceServers = welcome.ice_servers;
  ui.name.textContent = welcome.display_name ?? credentials.username;
  render();
}

/** @param {CloseEvent} event */
function onDisconnected(event) {
  const voluntary = page.signingOut;
  page.signaling = null;
  page.signingOut = false;
  clearTimeout(page.staleTimer);
  closeMonitorCall('disconnected');
  page.monitoring = null;
  panel.hide();
  ui.name.textContent = '';
  render();
  if (!voluntary) {
    const text = event.code === CloseCode.REPLACED ? t('notice.replaced') : closeText(event);
    setNotice(ui.notice, text, 'error');
  }
}

function onSignOut() {
  if (page.signaling) {
    page.signingOut = true;
    page.signaling.close();
  }
}

// --- silent monitoring ----------------------------------------------------------------------------

/** @returns {import('/supervisor/tables.js').MonitorButtons} */
function monitorButtons() {
  return {
    sessionId: page.monitoring?.sessionId ?? null,
    available: page.signaling !== null && page.monitoring === null,
  };
}

function refreshMonitorButtons() {
  updateMonitorButtons(ui.sessionRows, monitorButtons());
}

/** @param {MouseEvent} event a click anywhere in the sessions table */
function onSessionsClick(event) {
  const target = event.target instanceof Element ? event.target : null;
  const button = target?.closest('[data-testid="monitor-button"]');
  const sessionId = button?.closest('tr')?.dataset.sessionId;
  if (!(button instanceof HTMLButtonElement) || button.disabled || !sessionId) {
    return;
  }
  if (page.monitoring || !page.signaling) {
    return;
  }
  setNotice(ui.notice, '');
  page.monitoring = {sessionId, call: null, stopping: false};
  refreshMonitorButtons();
  page.signaling.send({type: 'monitor_start', session_id: sessionId});
}

/** @param {MonitorStartedMessage} message */
function onMonitorStarted(message) {
  const monitoring = page.monitoring;
  const signaling = page.signaling;
  if (!monitoring || monitoring.sessionId !== message.session_id || monitoring.call || !signaling) {
    console.warn('supervisor: monitoring granted for a session not asked for; stopping it');
    signaling?.send({type: 'monitor_stop', session_id: message.session_id});
    return;
  }
  const call = new MonitorCall({
    signaling,
    sessionId: message.session_id,
    iceServers: message.ice_servers ?? page.iceServers,
    iceTransportPolicy: message.ice_transport_policy,
    videos: panel.videos,
    onConnectionState: (state) => onMonitorConnection(call, state),
  });
  monitoring.call = call;
  panel.open({
    sessionId: message.session_id,
    business: message.business,
    customer: message.customer,
    teller: tellerName(message.teller),
  });
  call.start().catch((error) => onMonitorFailed(call, error));
}

/**
 * @param {string} username
 * @returns {string} the teller's display name and username, as the teller table shows them
 */
function tellerName(username) {
  const teller = page.tellers.find((t) => t.username === username);
  return teller && teller.display_name !== username ? `${teller.display_name} (${username})` : username;
}

/** @param {AnswerMessage} message */
function onAnswer(message) {
  const call = page.monitoring?.call;
  if (call && call.sessionId === message.session_id) {
    call.applyAnswer(message).catch((error) => onMonitorFailed(call, error));
  }
}

/**
 * @param {MonitorCall} call
 * @param {RTCPeerConnectionState} state
 */
function onMonitorConnection(call, state) {
  if (page.monitoring?.call !== call) {
    return;
  }
  if (state === 'connected') {
    panel.live();
  } else if (state === 'failed') {
    onMonitorFailed(call, new Error('the monitoring peer connection failed'));
  }
}

/**
 * The supervisor's own side of monitoring broke (negotiation or connection): say so and stop it at
 * the server; the other rows' buttons stay disabled until the server confirms with
 * `monitor_stopped`. The session itself is not affected.
 * @param {MonitorCall} call
 * @param {unknown} error
 */
function onMonitorFailed(call, error) {
  const monitoring = page.monitoring;
  if (!monitoring || monitoring.call !== call || call.isClosed) {
    return;
  }
  console.warn('supervisor: monitoring failed:', error instanceof Error ? error.message : error);
  closeMonitorCall('failed');
  if (!monitoring.stopping) {
    monitoring.stopping = true;
    page.signaling?.send({type: 'monitor_stop', session_id: monitoring.sessionId});
  }
}

function onStopClick() {
  const monitoring = page.monitoring;
  if (!monitoring || monitoring.stopping || !page.signaling) {
    return;
  }
  monitoring.stopping = true;
  panel.stopping();
  page.signaling.send({type: 'monitor_stop', session_id: monitoring.sessionId});
}

/** @param {MonitorStoppedMessage} message */
function onMonitorStopped(message) {
  if (page.monitoring?.sessionId === message.session_id) {
    closeMonitorCall(message.reason);
    page.monitoring = null;
    refreshMonitorButtons();
  }
}

/**
 * Handle a refusal of a monitoring message.
 * @param {ErrorMessage} message
 * @returns {boolean} whether it was about monitoring (and has been dealt with)
 */
function onMonitorError(message) {
  const monitoring = page.monitoring;
  switch (message.ref_type) {
    case 'monitor_start':
      if (monitoring && !monitoring.call) {
        page.monitoring = null;
        refreshMonitorButtons();
        const text = message.code === 'unknown_session' ?
          t('notice.monitor_call_ended') : serverErrorText(message.code, message.message);
        setNotice(ui.notice, text, 'error');
      }
      return true;
    case 'offer':
      if (monitoring?.call) {
        onMonitorFailed(monitoring.call, new Error(`offer refused: ${message.code}`));
      }
      return true;
    case 'monitor_stop':
      if (monitoring?.stopping) {
        // The server had already stopped (a monitor_stopped for another session, or none is due).
        closeMonitorCall('stopped');
        page.monitoring = null;
        refreshMonitorButtons();
      }
      return true;
    default:
      return false;
  }
}

/**
 * Close the monitoring peer connection (if still open) and end the panel saying why.
 * @param {MonitorEndReason} reason
 */
function closeMonitorCall(reason) {
  const call = page.monitoring?.call;
  if (call && !call.isClosed) {
    call.close();
    panel.end(reason);
  }
}

bindLoginForm(ui.login, signIn);
ui.signOut.addEventListener('click', onSignOut);
ui.sessionRows.addEventListener('click', onSessionsClick);
panel.onStop(onStopClick);
window.addEventListener('pagehide', () => {
  page.signingOut = true;
  page.monitoring?.call?.close();
  page.signaling?.close();
});
render();
