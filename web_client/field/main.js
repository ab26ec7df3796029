/**
 * Field officer's tablet (`/field/`, 1024×768 and 768×1024): remote review of a social-security card
 * issued in the field (docs/flows.md, "card_review"). The officer signs in (role `field`), enters the
 * customer's name and ID number and the card number, and joins the card-review queue with the
 * customer beside the tablet; the tablet takes the customer's leg of the call (its camera shows the
 * customer), the remote teller runs the face check and approves the card or rejects it with a reason
 * code, and the tablet shows each step and the outcome (field/review-panel.js).
 *
 * State (`call-status[data-state]`): offline → idle → waiting → in-call → ended (ended behaves like
 * idle, keeping the reason on screen). The card number never leaves the tablet; the ID number is sent
 * only in `join_queue` and in the flow's `identify`.
 *
 * Chinese by default, English with `?lang=en` (field/strings.js); `<html lang>` follows.
 */

import {holdResolutionDuringChecks} from '/shared/call.js';
import {byId, byTestId, setNotice} from '/shared/dom.js';
import {attachFlow} from '/shared/flow-ui.js';
import {HubCall, openLocalMedia, stopLocalMedia} from '/shared/rtc.js';
import {CloseCode, SignalingClient, SignalingError, closeText} from '/shared/signaling.js';
import {bindLoginForm, loginForm} from '/shared/staff-login.js';
import {attachStream, countFrames} from '/shared/video.js';
import {VerificationView} from '/customer/verification-view.js';
import {cardDigits} from '/field/card-number.js';
import {ReviewPanel} from '/field/review-panel.js';
import {known, serverErrorText, strings, t} from '/field/strings.js';

/** @typedef {import('/shared/signaling.js').WelcomeMessage} WelcomeMessage */
/** @typedef {import('/shared/signaling.js').SessionStartedMessage} SessionStartedMessage */
/** @typedef {import('/shared/signaling.js').ErrorMessage} ErrorMessage */
/** @typedef {import('/shared/rtc.js').LocalMedia} LocalMedia */
/** @typedef {import('/shared/staff-login.js').Credentials} Credentials */
/** @typedef {'offline'|'idle'|'waiting'|'in-call'|'ended'} TabletState */

/** If the server does not confirm a hang-up within this time, end the call locally. */
const HANGUP_CONFIRM_MS = 5000;
const RESIDENT_ID_PATTERN = /^\d{17}[\dX]$/;

document.documentElement.lang = strings.lang;
document.title = t('page.title');
strings.fill(document);

const ui = {
  status: byTestId('call-status', HTMLElement),
  statusText: byId('status-text', HTMLElement),
  statusDetail: byId('status-detail', HTMLElement),
  notice: byId('notice', HTMLElement),
  name: byId('officer-name', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  login: loginForm(byId('login-form', HTMLFormElement)),
  desk: byId('desk', HTMLElement),
  form: byId('review-form', HTMLFormElement),
  customerName: byTestId('display-name', HTMLInputElement),
  residentId: byTestId('resident-id', HTMLInputElement),
  cardNumber: byTestId('card-number', HTMLInputElement),
  joinError: byTestId('join-error', HTMLElement),
  join: byTestId('join-button', HTMLButtonElement),
  queue: byTestId('queue-status', HTMLElement),
  queueText: byId('queue-text', HTMLElement),
  leave: byTestId('leave-queue-button', HTMLButtonElement),
  next: byTestId('next-customer', HTMLButtonElement),
  remoteVideo: byTestId('remote-video', HTMLVideoElement),
  localVideo: byTestId('local-video', HTMLVideoElement),
  placeholder: byId('stage-placeholder', HTMLElement),
  verificationSlot: byId('verification-slot', HTMLElement),
  hangup: byTestId('hangup-button', HTMLButtonElement),
};

const page = {
  /** @type {TabletState} */
  state: /** @type {TabletState} */ ('offline'),
  /** @type {SignalingClient|null} */
  signaling: null,
  /** @type {WelcomeMessage|null} */
  welcome: null,
  /** @type {string|null} */
  sessionId: null,
  /** @type {HubCall|null} */
  call: null,
  /** @type {Promise<LocalMedia>|null} the camera, from joining until the review is over */
  media: null,
  /** join_queue sent, not yet answered */
  joining: false,
  /** leave_queue or hangup sent, not yet confirmed */
  leaving: false,
  /** The sign-out was asked for: no "connection lost" message. */
  signingOut: false,
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  hangupTimer: undefined,
};

const review = new ReviewPanel();
/**
 * The tablet's place for the identity check: the review column, where the panel stays in view
 * beside the steps (no stage to fold, no step log; the result stays until the next check).
 * @type {import('/customer/verification-view.js').CheckScreen}
 */
const checkPlace = {
  stage: document.createElement('div'),
  setStageMode(mode) {
    this.stage.dataset.mode = mode;
  },
  log: {shown: () => null, hidden: () => {}},
  holdResult() {},
};
ui.verificationSlot.replaceWith(checkPlace.stage);
const verification = new VerificationView(checkPlace);

/**
 * @param {TabletState} state
 * @param {string} text
 * @param {string} [detail]
 */
function setState(state, text, detail = '') {
  page.state = state;
  ui.status.dataset.state = state;
  ui.statusText.textContent = text;
  ui.statusDetail.textContent = detail;
  render();
}

/** Enable and show what the current state allows. */
function render() {
  const signedIn = page.signaling !== null;
  const {state} = page;
  const free = state === 'idle' || state === 'ended';
  ui.login.form.hidden = signedIn;
  ui.desk.hidden = !signedIn;
  ui.desk.dataset.state = state;
  ui.signOut.hidden = !signedIn;
  ui.form.hidden = !free || (state === 'ended' && !ui.next.hidden);
  ui.join.disabled = !free || page.joining;
  for (const input of [ui.customerName, ui.residentId, ui.cardNumber]) {
    input.disabled = !free || page.joining;
  }
  ui.queue.hidden = state !== 'waiting';
  ui.leave.disabled = state !== 'waiting' || page.leaving;
  ui.hangup.disabled = !(state === 'in-call' && page.sessionId !== null && !page.leaving);
  ui.placeholder.hidden = state === 'in-call' && ui.remoteVideo.srcObject !== null;
}

/**
 * @param {string} code
 * @param {string} text
 */
function showJoinError(code, text) {
  ui.joinError.dataset.code = code;
  setNotice(ui.joinError, text, 'error');
}

// --- sign-in ----------------------------------------------------------------------------------------

/**
 * @param {Credentials} credentials
 * @returns {Promise<void>} resolves once signed in
 */
async function signIn(credentials) {
  setNotice(ui.notice, '');
  const client = new SignalingClient();
  review.attach(attachFlow(client, review));
  verification.attach(client);
  holdResolutionDuringChecks(client, () => page.call);
  client.on('queue_update', (message) => {
    page.joining = false;
    if (page.state !== 'waiting') {
      setState('waiting', t('status.waiting'));
    }
    const minutes = Math.round(message.estimated_wait_seconds / 60);
    const wait = minutes < 1 ? t('wait.under_minute') : t('wait.minutes', {minutes});
    ui.queue.dataset.position = String(message.position);
    ui.queue.dataset.etaSeconds = String(message.estimated_wait_seconds);
    ui.queue.dataset.lane = message.lane ?? 'standard';
    ui.queueText.textContent = t('queue.position', {position: message.position, wait});
  });
  client.on('queue_left', () => {
    page.leaving = false;
    releaseMedia();
    setState('idle', t('status.left_queue'));
  });
  client.on('session_started', (message) => void onSessionStarted(message));
  client.on('answer', (message) => {
    page.call?.applyAnswer(message).catch((error) => {
      console.error('field: could not apply the answer', error);
      setNotice(ui.notice, t('notice.call_failed'), 'error');
    });
  });
  client.on('media_state', (message) => {
    if (message.session_id === page.sessionId) {
      ui.statusDetail.textContent = t(message.state === 'connected' ?
        'status.video_connected' : 'status.video_connecting');
    }
  });
  client.on('session_ended', (message) => {
    if (message.session_id === page.sessionId) {
      endCall(known(`end.${message.reason}`) ?? t('status.ended'));
    }
  });
  client.on('error', onServerError);
  client.onClose((event) => {
    if (page.signaling === client) {
      onDisconnected(event);
    }
  });
  const welcome = await client.connect({role: 'field', ...credentials});
  page.signaling = client;
  page.welcome = welcome;
  ui.name.textContent = welcome.display_name ?? credentials.username;
  setState('idle', t('status.idle'));
  ui.customerName.focus();
}

/** @param {ErrorMessage} message */
function onServerError(message) {
  console.warn(`field: server refused ${message.ref_type ?? 'a message'}: ${message.code}`);
  switch (message.ref_type) {
    case 'flow_input':
      return; // the review panel shows it (attachFlow)
    case 'join_queue':
      page.joining = false;
      releaseMedia();
      showJoinError(message.code, serverErrorText(message.code, message.message));
      setState('idle', t('status.idle'));
      return;
    case 'leave_queue':
    case 'hangup':
      page.leaving = false;
      render();
      return;
    default:
      setNotice(ui.notice, serverErrorText(message.code, message.message), 'error');
  }
}

/** @param {CloseEvent} event */
function onDisconnected(event) {
  const voluntary = page.signingOut;
  page.signaling = null;
  page.welcome = null;
  page.signingOut = false;
  if (page.sessionId) {
    endCall(t('end.customer_lost'));
  }
  releaseMedia();
  page.joining = false;
  page.leaving = false;
  ui.name.textContent = '';
  setState('offline', t('status.offline'));
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

// --- the review -------------------------------------------------------------------------------------

/** Check the form and join the card-review queue with the customer beside the tablet. */
function onJoin() {
  const name = ui.customerName.value.trim();
  const residentId = ui.residentId.value.replace(/\s+/g, '').toUpperCase();
  const card = cardDigits(ui.cardNumber.value);
  ui.customerName.setCustomValidity(name ? '' : t('form.name_required'));
  ui.residentId.setCustomValidity(RESIDENT_ID_PATTERN.test(residentId) ? '' : t('form.id_invalid'));
  ui.cardNumber.setCustomValidity(card ? '' : t('form.card_invalid'));
  if (!ui.form.reportValidity() || !card || !page.signaling) {
    return;
  }
  showJoinError('', '');
  setNotice(ui.notice, '');
  review.prepare({name, residentId, card});
  const sent = page.signaling.send({
    type: 'join_queue',
    display_name: name,
    business: 'card_review',
    resident_id: residentId,
    language: strings.lang,
  });
  if (!sent) {
    showJoinError('closed', serverErrorText('closed'));
    return;
  }
  page.joining = true;
  acquireMedia();
  setState(page.state, t('status.joining'));
}

/**
 * Open the camera (and microphone) once per review and preview it: the officer sees what the teller
 * will see.
 * @returns {Promise<LocalMedia>}
 */
function acquireMedia() {
  if (!page.media) {
    const pending = openLocalMedia();
    page.media = pending;
    void pending.then((media) => {
      if (page.media !== pending) {
        stopLocalMedia(media.stream);
        return;
      }
      attachStream(ui.localVideo, media.stream);
      if (!media.stream) {
        setNotice(ui.notice, t('notice.camera'), 'error');
      }
    });
  }
  return page.media;
}

/** Stop the camera (after the review or when leaving the queue). */
function releaseMedia() {
  const pending = page.media;
  page.media = null;
  attachStream(ui.localVideo, null);
  void pending?.then((media) => stopLocalMedia(media.stream));
}

/** @param {SessionStartedMessage} message */
async function onSessionStarted(message) {
  const client = page.signaling;
  if (!client || !page.welcome) {
    return;
  }
  page.sessionId = message.session_id;
  page.joining = false;
  page.leaving = false;
  ui.next.hidden = true;
  setState('in-call', t('status.in_call', {name: message.peer.display_name}), t('status.video_connecting'));
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
    console.error('field: could not start the call', error);
    setNotice(ui.notice, t('notice.call_failed'), 'error');
  }
  render();
}

function onHangup() {
  if (!page.signaling || !page.sessionId) {
    return;
  }
  page.leaving = true;
  render();
  ui.statusDetail.textContent = t('status.ending');
  page.signaling.send({type: 'hangup', session_id: page.sessionId});
  page.hangupTimer = setTimeout(() => endCall(t('end.customer_hangup')), HANGUP_CONFIRM_MS);
}

function onLeave() {
  if (page.signaling?.send({type: 'leave_queue'})) {
    page.leaving = true;
    render();
  }
}

/**
 * The call is over: close it, keep the review's outcome on screen, offer the next customer.
 * @param {string} reason
 */
function endCall(reason) {
  clearTimeout(page.hangupTimer);
  page.call?.close();
  page.call = null;
  page.sessionId = null;
  page.leaving = false;
  releaseMedia();
  ui.next.hidden = false;
  setState('ended', reason, t('status.ended'));
}

/** Clear the form for the next customer. */
function onNext() {
  ui.next.hidden = true;
  ui.form.reset();
  byTestId('review-panel', HTMLElement).hidden = true;
  showJoinError('', '');
  setState('idle', t('status.idle'));
  ui.customerName.focus();
}

bindLoginForm(ui.login, signIn);
ui.signOut.addEventListener('click', onSignOut);
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  onJoin();
});
for (const input of [ui.customerName, ui.residentId, ui.cardNumber]) {
  input.addEventListener('input', () => input.setCustomValidity(''));
}
ui.leave.addEventListener('click', onLeave);
ui.hangup.addEventListener('click', onHangup);
ui.next.addEventListener('click', onNext);
ui.remoteVideo.addEventListener('loadeddata', render);
countFrames(ui.remoteVideo);
window.addEventListener('pagehide', () => {
  page.signingOut = true;
  page.call?.close();
  page.signaling?.close();
});
setState('offline', t('status.offline'));
