/**
 * Teller console: sign in, choose available or away, and take video calls with customers.
 *
 * `call-status[data-state]` shows the state the server last sent in `teller_state` (`away` right
 * after sign-in); it is `offline` only while signed out or disconnected.
 */

import {businessLabel} from '/shared/businesses.js';
import {byId, byTestId, setNotice} from '/shared/dom.js';
import {HubCall, openLocalMedia, stopLocalMedia} from '/shared/rtc.js';
import {CloseCode, SignalingClient, SignalingError, closeText} from '/shared/signaling.js';
import {attachStream, countFrames, offerSoundButton} from '/shared/video.js';

/** @typedef {import('/shared/signaling.js').TellerState} TellerState */
/** @typedef {import('/shared/signaling.js').EndReason} EndReason */
/** @typedef {import('/shared/signaling.js').WelcomeMessage} WelcomeMessage */
/** @typedef {import('/shared/signaling.js').SessionStartedMessage} SessionStartedMessage */
/** @typedef {import('/shared/rtc.js').LocalMedia} LocalMedia */

/** If the server does not confirm a hang-up within this time, end the call locally. */
const HANGUP_CONFIRM_MS = 5000;

/** @type {Record<TellerState, [string, string]>} state -> status text and hint */
const STATE_TEXT = {
  'offline': ['Signed out', 'Sign in to take customers.'],
  'away': ['Away', 'Press Available to take the next customer.'],
  'available': ['Available', 'The next customer in the queue will be connected to you.'],
  'in-call': ['In a call', 'The customer is shown on the right.'],
  'wrap-up': ['Wrapping up', 'Finish your notes for the last call.'],
};

/** @type {Record<EndReason, string>} */
const END_REASONS = {
  customer_hangup: 'The customer ended the call.',
  teller_hangup: 'You ended the call.',
  customer_lost: 'The customer’s connection was lost.',
  teller_lost: 'Your connection was lost.',
  media_failed: 'The video connection failed.',
  server_shutdown: 'The service is restarting.',
};

const ui = {
  status: byTestId('call-status', HTMLElement),
  statusText: byId('status-text', HTMLElement),
  statusDetail: byId('status-detail', HTMLElement),
  tellerName: byId('teller-name', HTMLElement),
  available: byTestId('state-available', HTMLButtonElement),
  away: byTestId('state-away', HTMLButtonElement),
  signOut: byId('sign-out', HTMLButtonElement),
  loginForm: byId('login-form', HTMLFormElement),
  username: byTestId('username', HTMLInputElement),
  password: byTestId('password', HTMLInputElement),
  loginButton: byTestId('login-button', HTMLButtonElement),
  loginError: byTestId('login-error', HTMLElement),
  customerName: byTestId('customer-name', HTMLElement),
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
  /** @type {SignalingClient|null} set while signed in */
  signaling: null,
  /** @type {WelcomeMessage|null} */
  welcome: null,
  signingIn: false,
  /** The sign-out was asked for: no "connection lost" message. */
  signingOut: false,
  /** A set_state was sent and its teller_state has not come back yet. */
  stateChangePending: false,
  /** @type {Promise<LocalMedia>|null} camera and microphone, open while signed in */
  media: null,
  /** @type {string|null} */
  sessionId: null,
  /** @type {HubCall|null} */
  call: null,
  hangingUp: false,
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  hangupTimer: undefined,
};

/**
 * @param {TellerState} state as sent by the server (or `offline` when disconnected)
 */
function setTellerState(state) {
  page.state = state;
  page.stateChangePending = false;
  ui.status.dataset.state = state;
  const [text, hint] = STATE_TEXT[state] ?? [state, ''];
  ui.statusText.textContent = text;
  ui.statusDetail.textContent = hint;
  render();
}

/** Enable, disable and show controls for the current state (buttons are disabled, never hidden). */
function render() {
  const signedIn = page.signaling !== null;
  const idle = !page.stateChangePending && page.sessionId === null;
  ui.loginForm.hidden = signedIn;
  ui.loginButton.disabled = page.signingIn;
  ui.username.disabled = page.signingIn;
  ui.password.disabled = page.signingIn;
  ui.available.disabled = !(signedIn && idle && page.state === 'away');
  ui.away.disabled = !(signedIn && idle && page.state === 'available');
  ui.available.setAttribute('aria-pressed', String(page.state === 'available'));
  ui.away.setAttribute('aria-pressed', String(page.state === 'away'));
  ui.signOut.hidden = !signedIn;
  ui.signOut.disabled = page.sessionId !== null;
  ui.hangup.disabled = !(page.sessionId !== null && !page.hangingUp);
  ui.placeholder.hidden = page.sessionId !== null;
}

/** @returns {SignalingClient} a client with every handler of this page registered */
function createClient() {
  const client = new SignalingClient();
  client.on('teller_state', (message) => setTellerState(message.state));
  client.on('session_started', (message) => void onSessionStarted(message));
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

/** @param {SubmitEvent} event */
async function onLogin(event) {
  event.preventDefault();
  const username = ui.username.value.trim();
  const password = ui.password.value;
  if (!username || !password) {
    setNotice(ui.loginError, 'Enter your username and password.', 'error');
    return;
  }
  setNotice(ui.loginError, '');
  setNotice(ui.notice, '');
  page.signingIn = true;
  render();
  const client = createClient();
  try {
    page.welcome = await client.connect({role: 'teller', username, password});
    page.signaling = client;
    ui.password.value = '';
    ui.tellerName.textContent = page.welcome.display_name ?? username;
    void acquireMedia();
  } catch (error) {
    if (!(error instanceof SignalingError)) {
      console.error('teller: sign-in failed', error);
    }
    const text = error instanceof SignalingError && error.code === 'auth_failed' ?
      'Wrong username or password.' :
      error instanceof SignalingError ? error.message : 'Sign-in failed. Please try again.';
    setNotice(ui.loginError, text, 'error');
  } finally {
    page.signingIn = false;
    render();
  }
  if (page.signaling) {
    (ui.available.disabled ? ui.away : ui.available).focus(); // the login form is gone
  }
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
 * @param {'available'|'away'} state
 */
function requestState(state) {
  if (page.signaling?.send({type: 'set_state', state})) {
    page.stateChangePending = true;
    render();
  }
}

/** @param {SessionStartedMessage} message */
async function onSessionStarted(message) {
  const client = page.signaling;
  if (!client || !page.welcome) {
    return;
  }
  page.sessionId = message.session_id;
  page.hangingUp = false;
  setNotice(ui.notice, '');
  ui.customerName.textContent = message.peer.display_name;
  ui.customerBusiness.textContent = businessLabel(message.business);
  ui.sessionId.textContent = message.session_id;
  ui.mediaState.textContent = 'Connecting…';
  render();
  const media = await acquireMedia();
  if (page.sessionId !== message.session_id) {
    return; // the session ended while the camera was opening
  }
  const call = new HubCall({
    signaling: client,
    sessionId: message.session_id,
    iceServers: page.welcome.ice_servers,
    localStream: media.stream,
    remoteVideo: ui.remoteVideo,
  });
  page.call = call;
  try {
    await call.start();
  } catch (error) {
    console.error('teller: could not start the call', error);
    setNotice(ui.notice, 'The browser could not start the video call.', 'error');
  }
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
  page.hangingUp = false;
  ui.customerName.textContent = '';
  ui.customerBusiness.textContent = '';
  ui.sessionId.textContent = '';
  ui.mediaState.textContent = '';
  setNotice(ui.notice, notice);
  render();
}

/** @param {import('/shared/signaling.js').ErrorMessage} message */
function onServerError(message) {
  console.warn(`teller: server refused ${message.ref_type ?? 'a message'}: ${message.code}`);
  if (message.ref_type === 'set_state') {
    page.stateChangePending = false;
  }
  if (message.ref_type === 'hangup') {
    page.hangingUp = false;
  }
  setNotice(ui.notice, message.message, 'error');
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
  setTellerState('offline');
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

countFrames(ui.remoteVideo);
offerSoundButton(ui.remoteVideo, ui.sound);
ui.loginForm.addEventListener('submit', (event) => void onLogin(event));
ui.available.addEventListener('click', () => requestState('available'));
ui.away.addEventListener('click', () => requestState('away'));
ui.hangup.addEventListener('click', onHangup);
ui.signOut.addEventListener('click', onSignOut);
window.addEventListener('pagehide', () => {
  page.call?.close();
  page.signingOut = true;
  page.signaling?.close();
  releaseMedia();
});
render();
