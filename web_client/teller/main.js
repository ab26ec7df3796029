/**
 * Teller console: sign in, choose available or away, answer offered customers, hold video calls,
 * wrap up after each call, and call back customers who booked a call-back.
 *
 * `call-status[data-state]` shows the state the server last sent in `teller_state` (`away` right
 * after sign-in, `reserved` while an offer waits for an answer) and `data-reason` the away reason;
 * it is `offline` only while signed out or disconnected. The server decides every transition: the
 * page asks (`set_state`, `offer_accept`, `wrap_up_done`, …) and shows what it is told.
 */

import {businessLabel} from '/shared/businesses.js';
import {byId, byTestId, sentence, setNotice} from '/shared/dom.js';
import {startCall} from '/shared/call.js';
import {openLocalMedia, stopLocalMedia} from '/shared/rtc.js';
import {CloseCode, SignalingClient, closeText} from '/shared/signaling.js';
import {bindLoginForm, loginForm} from '/shared/staff-login.js';
import {attachStream, countFrames, offerSoundButton} from '/shared/video.js';
import {OfferCard} from '/teller/offer-card.js';
import {AWAY_CHOICES, END_REASONS, STATE_TEXT, WITHDRAWN_TEXT, awayReasonText} from '/teller/texts.js';
import {WrapUpPanel} from '/teller/wrap-up.js';
import {TellerFlowConsole} from '/teller/flow/flow-console.js';
import {CobrowsePanel} from '/teller/cobrowse/panel.js';
import {VerificationPanel} from '/teller/verification-panel.js';

/** @typedef {import('/shared/signaling.js').TellerState} TellerState */
/** @typedef {import('/shared/signaling.js').TellerStateMessage} TellerStateMessage */
/** @typedef {import('/shared/signaling.js').WelcomeMessage} WelcomeMessage */
/** @typedef {import('/shared/signaling.js').SessionStartedMessage} SessionStartedMessage */
/** @typedef {import('/shared/staff-login.js').Credentials} Credentials */
/** @typedef {import('/shared/rtc.js').LocalMedia} LocalMedia */
/** @typedef {import('/shared/rtc.js').HubCall} HubCall */

/** If the server does not confirm a hang-up within this time, end the call locally. */
const HANGUP_CONFIRM_MS = 5000;

const ui = {
  status: byTestId('call-status', HTMLElement),
  statusText: byId('status-text', HTMLElement),
  statusDetail: byId('status-detail', HTMLElement),
  tellerName: byId('teller-name', HTMLElement),
  available: byTestId('state-available', HTMLButtonElement),
  away: byTestId('state-away', HTMLButtonElement),
  awayReason: byTestId('away-reason', HTMLSelectElement),
  autoAccept: byTestId('auto-accept', HTMLInputElement),
  signOut: byId('sign-out', HTMLButtonElement),
  login: loginForm(byId('login-form', HTMLFormElement)),
  callbackStatus: byTestId('callback-status', HTMLElement),
  customerName: byTestId('customer-name', HTMLElement),
  customerElderly: byTestId('customer-elderly', HTMLElement),
  customerBusiness: byId('customer-business', HTMLElement),
  sessionId: byId('session-id', HTMLElement),
  mediaState: byId('media-state', HTMLElement),
  hangup: byTestId('hangup-button', HTMLButtonElement),
  notice: byId('notice', HTMLElement),
  remoteVideo: byTestId('remote-video', HTMLVideoElement),
  localVideo: byTestId('local-video', HTMLVideoElement),
  placeholder: byId('stage-placeholder', HTMLElement),
  sound: byId('sound-button', HTMLButtonElement),
};

const page = {
  /** @type {TellerState} */
  state: 'offline',
  /** @type {string|null} why the teller is away, as sent by the server */
  reason: null,
  /** @type {SignalingClient|null} set while signed in */
  signaling: null,
  /** @type {WelcomeMessage|null} */
  welcome: null,
  /** The sign-out was asked for: no "connection lost" message. */
  signingOut: false,
  /** A set_state was sent and its teller_state has not come back yet. */
  stateChangePending: false,
  /** @type {Promise<LocalMedia>|null} camera and microphone, open while signed in */
  media: null,
  /** @type {string|null} */
  sessionId: null,
  /** @type {string} the current session's customer */
  customerName: '',
  /** @type {HubCall|null} */
  call: null,
  hangingUp: false,
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  hangupTimer: undefined,
};

const flowConsole = new TellerFlowConsole(byTestId('flow-console', HTMLElement));
const offerCard = new OfferCard({
  accept: (taskId) => page.signaling?.send({type: 'offer_accept', task_id: taskId}),
  reject: (taskId) => page.signaling?.send({type: 'offer_reject', task_id: taskId}),
});

const cobrowse = new CobrowsePanel(document.querySelector('main.console') ?? document.body);
const verification = new VerificationPanel(document.querySelector('.customer-card')?.parentElement ?? document.body);

const wrapUp = new WrapUpPanel({
  done: () => page.signaling?.send({type: 'wrap_up_done'}),
  extend: () => page.signaling?.send({type: 'wrap_up_extend'}),
});

/**
 * Show the state the server sent (or `offline` when disconnected).
 * @param {TellerStateMessage|{state: 'offline'}} message
 */
function onTellerState(message) {
  const reason = 'reason' in message ? message.reason ?? null : null;
  page.state = message.state;
  page.reason = message.state === 'away' ? reason : null;
  page.stateChangePending = false;
  ui.status.dataset.state = message.state;
  ui.status.dataset.reason = page.reason ?? '';
  const [text, hint] = STATE_TEXT[message.state] ?? [message.state, ''];
  ui.statusText.textContent = text;
  ui.statusDetail.textContent = message.state === 'away' && page.reason ?
    `${awayReasonText(page.reason)} ${hint}` : hint;
  if (message.state !== 'reserved') {
    offerCard.hide();
  }
  if (message.state === 'wrap-up') {
    wrapUp.show('wrap_up_seconds_left' in message ? message.wrap_up_seconds_left ?? 0 : 0);
  } else {
    wrapUp.hide();
  }
  if (message.state === 'available' && 'auto_accept' in message &&
      typeof message.auto_accept === 'boolean' && message.auto_accept !== ui.autoAccept.checked) {
    // The teller changed the toggle while away or wrapping up: apply it now that it can be.
    requestState('available');
  }
  render();
}

/** Enable, disable and show controls for the current state (buttons are disabled, never hidden). */
function render() {
  const signedIn = page.signaling !== null;
  const free = signedIn && !page.stateChangePending && page.sessionId === null;
  ui.login.form.hidden = signedIn;
  ui.available.disabled = !(free && (page.state === 'away' || page.state === 'wrap-up'));
  ui.away.disabled = !(free && (page.state === 'available' || page.state === 'wrap-up'));
  ui.available.setAttribute('aria-pressed', String(page.state === 'available'));
  ui.away.setAttribute('aria-pressed', String(page.state === 'away'));
  ui.awayReason.disabled = !signedIn;
  ui.autoAccept.disabled = !signedIn;
  ui.signOut.hidden = !signedIn;
  ui.signOut.disabled = page.sessionId !== null;
  ui.hangup.disabled = !(page.sessionId !== null && !page.hangingUp);
  const awaitingCallback = ui.callbackStatus.dataset.state === 'waiting';
  ui.placeholder.hidden = page.sessionId !== null && !awaitingCallback;
  ui.placeholder.textContent = awaitingCallback ?
    `Waiting for ${page.customerName} to follow the call-back link…` : 'No customer yet.';
}

/** @returns {SignalingClient} a client with every handler of this page registered */
function createClient() {
  const client = new SignalingClient();
  flowConsole.attach(client);
  cobrowse.attach(client);
  verification.attach(client);
  client.on('teller_state', onTellerState);
  client.on('task_offer', (message) => {
    setNotice(ui.notice, '');
    offerCard.show(message);
  });
  client.on('task_offer_withdrawn', (message) => {
    offerCard.hide(message.task_id);
    setNotice(ui.notice, WITHDRAWN_TEXT[message.reason] ?? 'The offer was withdrawn.');
  });
  client.on('session_started', (message) => void onSessionStarted(message));
  client.on('callback_answered', (message) => {
    if (message.session_id === page.sessionId) {
      showCallbackStatus('answered', `${page.customerName} followed the link and is joining the call.`);
    }
  });
  client.on('answer', (message) => {
    page.call?.applyAnswer(message).catch((error) => {
      console.error('teller: could not apply the answer', error);
      setNotice(ui.notice, 'The video connection could not be set up.', 'error');
    });
  });
  client.on('media_state', (message) => {
    if (message.session_id === page.sessionId) {
      ui.mediaState.textContent = message.state === 'connected' ? 'Connected' : 'Connecting…';
    }
  });
  client.on('session_ended', (message) => {
    if (message.session_id === page.sessionId) {
      endCall(END_REASONS[message.reason] ?? 'The call ended.');
    }
  });
  client.on('error', onServerError);
  client.onClose((event) => {
    if (page.signaling === client) {
      onDisconnected(event);
    }
  });
  return client;
}

/**
 * @param {Credentials} credentials
 * @returns {Promise<void>} resolves once signed in
 */
async function signIn(credentials) {
  setNotice(ui.notice, '');
  const client = createClient();
  page.welcome = await client.connect({role: 'teller', ...credentials});
  page.signaling = client;
  ui.tellerName.textContent = page.welcome.display_name ?? credentials.username;
  void acquireMedia();
  render();
  (ui.available.disabled ? ui.away : ui.available).focus(); // the login form is gone
}

/**
 * Open the camera and microphone once per sign-in and preview them.
 * @returns {Promise<LocalMedia>}
 */
function acquireMedia() {
  if (!page.media) {
    const pending = openLocalMedia();
    page.media = pending;
    void pending.then((media) => {
      if (page.media !== pending) {
        return; // signed out while opening
      }
      attachStream(ui.localVideo, media.stream);
      if (media.problem) {
        setNotice(ui.notice, media.problem);
      }
    });
  }
  return page.media;
}

function releaseMedia() {
  const pending = page.media;
  page.media = null;
  attachStream(ui.localVideo, null);
  void pending?.then((media) => stopLocalMedia(media.stream));
}

/**
 * Ask to become available (with the auto-accept choice) or away (with the chosen reason).
 * @param {'available'|'away'} state
 */
function requestState(state) {
  const message = state === 'available' ?
    {type: 'set_state', state, auto_accept: ui.autoAccept.checked} :
    {type: 'set_state', state, reason: ui.awayReason.value || 'break'};
  if (page.signaling?.send(message)) {
    page.stateChangePending = true;
    setNotice(ui.notice, '');
    render();
  }
}

/** The toggle takes effect at once while available; otherwise with the next `set_state available`. */
function onAutoAcceptChanged() {
  if (page.state === 'available' && !page.stateChangePending) {
    requestState('available');
  }
}

/**
 * @param {'waiting'|'answered'|''} state
 * @param {string} text
 */
function showCallbackStatus(state, text) {
  ui.callbackStatus.dataset.state = state;
  ui.callbackStatus.textContent = text;
  ui.callbackStatus.hidden = state === '';
  render();
}

/** @param {SessionStartedMessage} message */
async function onSessionStarted(message) {
  const client = page.signaling;
  if (!client || !page.welcome) {
    return;
  }
  offerCard.hide();
  page.sessionId = message.session_id;
  page.customerName = message.peer.display_name || 'the customer';
  page.hangingUp = false;
  setNotice(ui.notice, '');
  ui.customerName.textContent = message.peer.display_name;
  ui.customerElderly.hidden = !message.peer.elderly;
  ui.customerBusiness.textContent = businessLabel(message.business);
  ui.sessionId.textContent = message.session_id;
  ui.mediaState.textContent = 'Connecting…';
  if (message.kind === 'callback') {
    showCallbackStatus(
      'waiting', `Calling back ${page.customerName} — waiting for the customer to follow the link.`);
  } else {
    showCallbackStatus('', '');
  }
  render();
  await startCall({
    signaling: client,
    sessionId: message.session_id,
    iceServers: page.welcome.ice_servers,
    media: acquireMedia(),
    remoteVideo: ui.remoteVideo,
    isCurrent: () => page.sessionId === message.session_id, // not ended while the camera opened
    created: (call) => {
      page.call = call;
    },
    failed: (error) => {
      console.error('teller: could not start the call', error);
      setNotice(ui.notice, 'The browser could not start the video call.', 'error');
    },
  });
}

/** Ask the server to end the call; it answers with `session_ended`. */
function onHangup() {
  if (!page.signaling || !page.sessionId) {
    return;
  }
  page.hangingUp = true;
  render();
  ui.mediaState.textContent = 'Ending the call…';
  page.signaling.send({type: 'hangup', session_id: page.sessionId});
  page.hangupTimer = setTimeout(() => endCall(END_REASONS.teller_hangup), HANGUP_CONFIRM_MS);
}

/**
 * Close the call and clear the customer card; the server sends the new teller state.
 * @param {string} notice what to tell the teller
 */
function endCall(notice) {
  clearTimeout(page.hangupTimer);
  page.call?.close();
  page.call = null;
  page.sessionId = null;
  page.customerName = '';
  page.hangingUp = false;
  ui.customerName.textContent = '';
  ui.customerElderly.hidden = true;
  ui.customerBusiness.textContent = '';
  ui.sessionId.textContent = '';
  ui.mediaState.textContent = '';
  showCallbackStatus('', '');
  setNotice(ui.notice, notice);
  render();
}

/** @param {import('/shared/signaling.js').ErrorMessage} message */
function onServerError(message) {
  console.warn(`teller: server refused ${message.ref_type ?? 'a message'}: ${message.code}`);
  switch (message.ref_type) {
    case 'set_state':
      page.stateChangePending = false;
      break;
    case 'offer_accept':
    case 'offer_reject':
      offerCard.answerRefused();
      break;
    case 'wrap_up_done':
    case 'wrap_up_extend':
      wrapUp.setPending(false);
      break;
    case 'hangup':
      page.hangingUp = false;
      break;
    default:
      break;
  }
  setNotice(ui.notice, sentence(message.message), 'error');
  render();
}

/** @param {CloseEvent} event */
function onDisconnected(event) {
  const voluntary = page.signingOut;
  page.signaling = null;
  page.welcome = null;
  page.signingOut = false;
  if (page.sessionId !== null) {
    endCall('');
  }
  releaseMedia();
  ui.tellerName.textContent = '';
  onTellerState({state: 'offline'});
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

function fillAwayReasons() {
  for (const [value, label] of AWAY_CHOICES) {
    ui.awayReason.append(new Option(label, value));
  }
}

fillAwayReasons();
countFrames(ui.remoteVideo);
offerSoundButton(ui.remoteVideo, ui.sound);
bindLoginForm(ui.login, signIn);
ui.available.addEventListener('click', () => requestState('available'));
ui.away.addEventListener('click', () => requestState('away'));
ui.autoAccept.addEventListener('change', onAutoAcceptChanged);
ui.hangup.addEventListener('click', onHangup);
ui.signOut.addEventListener('click', onSignOut);
window.addEventListener('pagehide', () => {
  page.call?.close();
  page.signingOut = true;
  page.signaling?.close();
  releaseMedia();
});
render();
