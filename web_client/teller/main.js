/**
 * Teller console: sign in, choose available or away, answer offered customers, hold video calls,
 * wrap up after each call, and call back customers who booked a call-back.
 *
 * The desk (1366×768 and up): the call column — status, the customer's video, the customer card
 * with End call — never scrolls; the work column beside it (offer, wrap-up, business, identity
 * check, co-browsing) scrolls on its own, so the customer stays in view whatever the teller does.
 * After a call the customer card (`customer-card[data-state="ended"]`) and the business panel stay
 * for the wrap-up (the wrap-up code can still be recorded) and are cleared when it ends.
 *
 * `call-status[data-state]` shows the state the server last sent in `teller_state` (`away` right
 * after sign-in, `reserved` while an offer waits for an answer) and `data-reason` the away reason;
 * it is `offline` only while signed out or disconnected. The server decides every transition: the
 * page asks (`set_state`, `offer_accept`, `wrap_up_done`, …) and shows what it is told.
 *
 * Resume (shared/resume.js): `call-status[data-state="reconnecting"]` while either party's connection
 * is lost during a call. When the customer's is lost the console counts down the grace period the
 * server gives them (`reconnect-countdown[data-seconds]`). When the teller's own is lost the console
 * reconnects with backoff, signs in again with the credentials it holds for the call and sends
 * `resume`; a reloaded console does the same after the teller signs in (the token is in the tab's
 * `sessionStorage`). Either way a new peer connection is made with the hub.
 */

import {byId, byTestId, sentence, setNotice} from '/shared/dom.js';
import {startCall} from '/shared/call.js';
import {applyPageLanguage} from '/shared/page-language.js';
import {openLocalMedia, stopLocalMedia} from '/shared/rtc.js';
import {Reconnector, ResumeTokens, sendResume} from '/shared/resume.js';
import {CloseCode, SignalingClient, closeText} from '/shared/signaling.js';
import {bindLoginForm, loginForm} from '/shared/staff-login.js';
import {attachStream, countFrames, offerSoundButton} from '/shared/video.js';
import {OfferCard} from '/teller/offer-card.js';
import {businessName, serverErrorText, strings, t} from '/teller/strings.js';
import {awayChoices, awayReasonText, endText, stateText, withdrawnText} from '/teller/texts.js';
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
  customerCard: byTestId('customer-card', HTMLElement),
  customerHeading: byId('customer-heading', HTMLElement),
  callbackStatus: byTestId('callback-status', HTMLElement),
  customerName: byTestId('customer-name', HTMLElement),
  customerElderly: byTestId('customer-elderly', HTMLElement),
  countdown: byTestId('reconnect-countdown', HTMLElement),
  customerBusiness: byId('customer-business', HTMLElement),
  sessionId: byId('session-id', HTMLElement),
  mediaState: byId('media-state', HTMLElement),
  hangup: byTestId('hangup-button', HTMLButtonElement),
  notice: byId('notice', HTMLElement),
  work: byId('work', HTMLElement),
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
  /** @type {Credentials|null} kept in memory while signed in, to sign in again when resuming a call */
  credentials: null,
  /** @type {{servers: RTCIceServer[], policy: RTCIceTransportPolicy|undefined}} this call's ICE configuration */
  ice: {servers: [], policy: undefined},
  /** This console's own connection is lost in a call: it is reconnecting. */
  reconnecting: false,
  /** The tab is being left or reloaded: the call's token stays for the reloaded console. */
  unloading: false,
  /** @type {number|null} server-given deadline (page clock, ms) for the customer to come back */
  customerDeadline: null,
  /** @type {ReturnType<typeof setInterval>|undefined} */
  countdownTimer: undefined,
};

/** This tab's resume token for its leg of the current call (survives a reload of the console). */
const tokens = new ResumeTokens('video_bank.teller.resume');
const reconnector = new Reconnector({
  attempt: attemptResume,
  finished: (result) => {
    page.reconnecting = false;
    if (result === 'refused') {
      tokens.clear();
      endCall(endText('teller_lost'));
    }
    showLinkState();
  },
});

applyPageLanguage(strings);

const flowConsole = new TellerFlowConsole(byTestId('flow-console', HTMLElement), {
  identified: showIdentifiedCustomer,
});
const offerCard = new OfferCard({
  accept: (taskId) => page.signaling?.send({type: 'offer_accept', task_id: taskId}),
  reject: (taskId) => page.signaling?.send({type: 'offer_reject', task_id: taskId}),
});

const cobrowse = new CobrowsePanel(byId('cobrowse-slot', HTMLElement));
const verification = new VerificationPanel(byId('verification-slot', HTMLElement));

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
  const entering = message.state !== page.state;
  page.state = message.state;
  page.reason = message.state === 'away' ? reason : null;
  page.stateChangePending = false;
  ui.status.dataset.state = linkState() ?? message.state;
  ui.status.dataset.reason = page.reason ?? '';
  const [text, hint] = stateText(message.state);
  ui.statusText.textContent = text;
  ui.statusDetail.textContent = message.state === 'away' && page.reason ?
    `${awayReasonText(page.reason)} ${hint}` : hint;
  if (message.state !== 'reserved') {
    offerCard.hide();
  }
  if (message.state === 'wrap-up') {
    wrapUp.show('wrap_up_seconds_left' in message ? message.wrap_up_seconds_left ?? 0 : 0);
    if (entering) {
      ui.work.scrollTo({top: 0}); // the wrap-up card, then the business panel with its wrap-up code
    }
  } else {
    wrapUp.hide();
    if (page.sessionId === null) {
      clearLastCall(); // the wrap-up is over: the server no longer takes its wrap-up code either
    }
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
  ui.login.form.hidden = signedIn || page.reconnecting;
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
    t('stage.waiting_callback', {name: page.customerName}) : t('stage.none');
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
    setNotice(ui.notice, withdrawnText(message.reason));
  });
  client.on('session_started', (message) => void onSessionStarted(message));
  client.on('session_resumed', (message) => void onSessionResumed(message));
  client.on('leg_state', (message) => {
    if (message.session_id !== page.sessionId || message.leg !== 'customer') {
      return;
    }
    if (message.state === 'lost') {
      page.customerDeadline = Date.now() + (message.grace_seconds ?? 0) * 1000;
    } else {
      page.customerDeadline = null;
      setNotice(ui.notice, t('notice.customer_back'));
    }
    showLinkState();
  });
  client.on('media_restart', (message) => {
    if (message.session_id === page.sessionId) {
      void restartMedia();
    }
  });
  client.on('callback_answered', (message) => {
    if (message.session_id === page.sessionId) {
      showCallbackStatus('answered', t('callback.answered', {name: page.customerName}));
    }
  });
  client.on('answer', (message) => {
    page.call?.applyAnswer(message).catch((error) => {
      console.error('teller: could not apply the answer', error);
      setNotice(ui.notice, t('notice.video_setup_failed'), 'error');
    });
  });
  client.on('media_state', (message) => {
    if (message.session_id === page.sessionId) {
      ui.mediaState.textContent = t(message.state === 'connected' ? 'media.connected' : 'media.connecting');
    }
  });
  client.on('session_ended', (message) => {
    if (message.session_id === page.sessionId) {
      endCall(endText(message.reason));
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

/** @returns {'reconnecting'|null} the call's link state, when a party is reconnecting */
function linkState() {
  return page.sessionId !== null && (page.reconnecting || page.customerDeadline !== null) ? 'reconnecting' : null;
}

/** Show who is reconnecting (or nobody): the status, and the customer's countdown. */
function showLinkState() {
  clearInterval(page.countdownTimer);
  const state = linkState();
  if (state === null) {
    ui.countdown.hidden = true;
    ui.countdown.dataset.seconds = '';
    onTellerState(page.state === 'offline' ? {state: 'offline'} : {state: page.state, reason: page.reason});
    return;
  }
  ui.status.dataset.state = state;
  const key = page.reconnecting ? 'status.reconnecting' : 'status.customer_reconnecting';
  ui.statusText.textContent = t(key);
  ui.statusDetail.textContent = t(`${key}_hint`);
  ui.mediaState.textContent = t('media.connecting');
  if (page.customerDeadline !== null && !page.reconnecting) {
    const tick = () => {
      const seconds = Math.max(0, Math.ceil(((page.customerDeadline ?? 0) - Date.now()) / 1000));
      ui.countdown.dataset.seconds = String(seconds);
      ui.countdown.textContent = t('countdown.customer', {seconds});
    };
    tick();
    ui.countdown.hidden = false;
    page.countdownTimer = setInterval(tick, 1000);
  } else {
    ui.countdown.hidden = true;
  }
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
  page.credentials = credentials;
  ui.tellerName.textContent = page.welcome.display_name ?? credentials.username;
  void acquireMedia();
  render();
  (ui.available.disabled ? ui.away : ui.available).focus(); // the login form is gone
  const token = tokens.load().session;
  if (token) {
    // Reloaded during a call: take it back (refused when it is over, and then forgotten).
    const result = await sendResume(client, token);
    if (result === 'refused') {
      tokens.clear();
    }
  }
}

/** @returns {Promise<import('/shared/resume.js').ResumeResult>} one attempt: sign in again, `resume` */
async function attemptResume() {
  const token = tokens.load().session;
  const credentials = page.credentials;
  if (!token || !credentials) {
    return 'refused';
  }
  const client = createClient();
  try {
    page.welcome = await client.connect({role: 'teller', ...credentials});
  } catch {
    return 'failed';
  }
  page.signaling = client;
  return sendResume(client, token);
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
        setNotice(ui.notice, t('media.no_camera'));
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
  tokens.save({session: message.resume_token ?? null});
  page.ice = {servers: message.ice_servers ?? page.welcome.ice_servers, policy: message.ice_transport_policy};
  page.customerDeadline = null;
  showCall(message);
  setNotice(ui.notice, '');
  if (message.kind === 'callback') {
    showCallbackStatus('waiting', t('callback.waiting', {name: page.customerName}));
  } else {
    showCallbackStatus('', '');
  }
  ui.work.scrollTo({top: 0});
  render();
  await startMedia();
}

/**
 * Create this call's peer connection with the hub and send the offer (a new one after a drop or a
 * failure).
 * @returns {Promise<void>}
 */
async function startMedia() {
  const client = page.signaling;
  const sessionId = page.sessionId;
  if (!client || sessionId === null) {
    return;
  }
  await startCall({
    signaling: client,
    sessionId,
    iceServers: page.ice.servers,
    iceTransportPolicy: page.ice.policy,
    media: acquireMedia(),
    remoteVideo: ui.remoteVideo,
    // not ended (or reconnected on another socket) while the camera opened
    isCurrent: () => page.sessionId === sessionId && page.signaling === client,
    created: (call) => {
      page.call = call;
    },
    failed: (error) => {
      console.error('teller: could not start the call', error);
      setNotice(ui.notice, 'The browser could not start the video call.', 'error');
    },
    mediaFailed: () => void restartMedia(),
  });
}

/** The peer connection failed (or the server says so): a fresh one replaces it. */
async function restartMedia() {
  page.call?.close();
  page.call = null;
  ui.mediaState.textContent = t('media.connecting');
  await startMedia();
}

/** @param {import('/shared/signaling.js').SessionResumedMessage} message */
async function onSessionResumed(message) {
  tokens.save({session: message.resume_token});
  page.reconnecting = false;
  page.ice = {servers: message.ice_servers, policy: message.ice_transport_policy};
  showCall(message);
  page.customerDeadline = message.peer_present === false ? Date.now() : null;
  setNotice(ui.notice, t('notice.call_resumed'));
  showLinkState();
  render();
  await restartMedia();
}

/**
 * The call this console holds now (started, or taken back after a lost connection): the customer card.
 * @param {SessionStartedMessage|import('/shared/signaling.js').SessionResumedMessage} message
 */
function showCall(message) {
  page.sessionId = message.session_id;
  page.customerName = message.peer.display_name || t('customer.fallback_name');
  page.hangingUp = false;
  setCustomerCard('in-call');
  ui.customerName.textContent = message.peer.display_name;
  ui.customerElderly.hidden = !message.peer.elderly;
  ui.customerBusiness.textContent = businessName(message.business);
  ui.customerBusiness.dataset.business = message.business;
  ui.sessionId.textContent = message.session_id;
  ui.mediaState.textContent = t('media.connecting');
}

/** Ask the server to end the call; it answers with `session_ended`. */
function onHangup() {
  if (!page.signaling || !page.sessionId) {
    return;
  }
  page.hangingUp = true;
  render();
  ui.mediaState.textContent = t('media.ending');
  page.signaling.send({type: 'hangup', session_id: page.sessionId});
  page.hangupTimer = setTimeout(() => endCall(endText('teller_hangup')), HANGUP_CONFIRM_MS);
}

/**
 * Close the call; the customer card stays (marked ended) for the wrap-up. The server sends the new
 * teller state.
 * @param {string} notice what to tell the teller
 */
function endCall(notice) {
  clearTimeout(page.hangupTimer);
  reconnector.stop();
  if (!page.unloading) {
    tokens.clear();
  }
  page.reconnecting = false;
  page.customerDeadline = null;
  clearInterval(page.countdownTimer);
  ui.countdown.hidden = true;
  page.call?.close();
  page.call = null;
  page.sessionId = null;
  page.customerName = '';
  page.hangingUp = false;
  if (ui.customerCard.dataset.state === 'in-call') {
    setCustomerCard('ended');
    ui.mediaState.textContent = t('media.ended');
  }
  showCallbackStatus('', '');
  setNotice(ui.notice, notice);
  render();
}

/**
 * @param {'none'|'in-call'|'ended'} state what the customer card shows: nobody, the customer in the
 *   call, or the last call's customer during its wrap-up
 */
function setCustomerCard(state) {
  ui.customerCard.dataset.state = state;
  ui.customerHeading.textContent = t(state === 'ended' ? 'customer.heading_ended' : 'customer.heading');
}

/** Forget the last call once its wrap-up is over (or on sign-out): customer card and business panel. */
function clearLastCall() {
  if (ui.customerCard.dataset.state !== 'ended') {
    return;
  }
  setCustomerCard('none');
  ui.customerName.textContent = '';
  ui.customerElderly.hidden = true;
  ui.customerBusiness.textContent = '';
  delete ui.customerBusiness.dataset.business;
  ui.sessionId.textContent = '';
  ui.mediaState.textContent = '';
  flowConsole.reset();
}

/**
 * The business flow identified the customer: the identity check is for them (the server checks
 * that anyway); fill the check's customer field so the teller sees who is verified.
 * @param {string} customerId
 */
function showIdentifiedCustomer(customerId) {
  const field = document.querySelector('[data-testid="verification-customer-id"]');
  if (field instanceof HTMLInputElement && field.value.trim() === '') {
    field.value = customerId;
  }
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
    case 'resume':
      return; // the call is over: the reconnect ends it and says so
    default:
      break;
  }
  setNotice(ui.notice, serverErrorText(message.code, message.message), 'error');
  render();
}

/** @param {CloseEvent} event */
function onDisconnected(event) {
  const voluntary = page.signingOut;
  const resumable = !voluntary && page.sessionId !== null && page.credentials !== null &&
    tokens.load().session !== null && event.code !== CloseCode.REPLACED && event.code !== CloseCode.RESUMED;
  if (resumable || page.reconnecting) {
    // In a call: keep it on screen and take it back on a new connection.
    page.signaling = null;
    page.call?.close();
    page.call = null;
    page.reconnecting = true;
    showLinkState();
    reconnector.start();
    render();
    return;
  }
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
    setNotice(ui.notice, closeNotice(event), 'error');
  }
}

/**
 * @param {CloseEvent} event the signaling socket closed without the teller signing out
 * @returns {string}
 */
function closeNotice(event) {
  if (event.code === CloseCode.REPLACED) {
    return t('notice.replaced');
  }
  return strings.lang === 'en' ? closeText(event) : t('notice.connection_lost');
}

function onSignOut() {
  page.credentials = null;
  tokens.clear();
  if (page.signaling) {
    page.signingOut = true;
    page.signaling.close();
  }
}

function fillAwayReasons() {
  for (const [value, label] of awayChoices()) {
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
// The network is gone: drop the socket now and reconnect when the browser is online again.
window.addEventListener('offline', () => {
  if (page.signaling && page.sessionId !== null) {
    page.signaling.close();
  }
});
window.addEventListener('pagehide', () => {
  page.unloading = true; // a reload takes the call back with the tab's token after signing in
  reconnector.stop();
  page.call?.close();
  page.signingOut = true;
  page.signaling?.close();
  releaseMedia();
});
render();
