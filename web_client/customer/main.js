/**
 * Customer page: join the queue for one business, wait, then hold a video call with a teller.
 *
 * State (`call-status[data-state]`): idle → waiting → in-call → ended; `ended` behaves like `idle`
 * (the customer may join again) but keeps the reason on screen.
 */

import {BUSINESS_LABELS} from '/shared/businesses.js';
import {byId, byTestId, setNotice} from '/shared/dom.js';
import {HubCall, openLocalMedia, stopLocalMedia} from '/shared/rtc.js';
import {SignalingClient, SignalingError, closeText} from '/shared/signaling.js';
import {attachStream, countFrames, offerSoundButton} from '/shared/video.js';

/** @typedef {import('/shared/signaling.js').WelcomeMessage} WelcomeMessage */
/** @typedef {import('/shared/signaling.js').SessionStartedMessage} SessionStartedMessage */
/** @typedef {import('/shared/signaling.js').EndReason} EndReason */
/** @typedef {import('/shared/rtc.js').LocalMedia} LocalMedia */
/** @typedef {'idle'|'waiting'|'in-call'|'ended'} CustomerState */

/** If the server does not confirm a hang-up within this time, end the call locally. */
const HANGUP_CONFIRM_MS = 5000;

/** @type {Record<EndReason, string>} */
const END_REASONS = {
  customer_hangup: 'You ended the call.',
  teller_hangup: 'The teller ended the call.',
  customer_lost: 'Your connection was lost, so the call ended.',
  teller_lost: 'The teller’s connection was lost, so the call ended.',
  media_failed: 'The video connection failed, so the call ended.',
  server_shutdown: 'The service is restarting, so the call ended.',
};

const ui = {
  status: byTestId('call-status', HTMLElement),
  statusText: byId('status-text', HTMLElement),
  statusDetail: byId('status-detail', HTMLElement),
  notice: byId('notice', HTMLElement),
  form: byId('join-form', HTMLFormElement),
  name: byTestId('display-name', HTMLInputElement),
  business: byTestId('business-select', HTMLSelectElement),
  join: byTestId('join-button', HTMLButtonElement),
  queue: byTestId('queue-status', HTMLElement),
  queuePosition: byId('queue-position', HTMLElement),
  queueEta: byId('queue-eta', HTMLElement),
  leave: byTestId('leave-queue-button', HTMLButtonElement),
  hangup: byTestId('hangup-button', HTMLButtonElement),
  remoteVideo: byTestId('remote-video', HTMLVideoElement),
  localVideo: byTestId('local-video', HTMLVideoElement),
  placeholder: byId('stage-placeholder', HTMLElement),
  sound: byId('sound-button', HTMLButtonElement),
};

const page = {
  /** @type {CustomerState} */
  state: 'idle',
  /** A join is being set up (connecting): no second one. */
  joining: false,
  /** leave_queue or hangup was sent and not yet confirmed. */
  leaving: false,
  /** @type {SignalingClient|null} */
  signaling: null,
  /** @type {WelcomeMessage|null} */
  welcome: null,
  /** @type {Promise<LocalMedia>|null} camera and microphone, opened when joining */
  media: null,
  /** @type {string|null} */
  sessionId: null,
  /** @type {HubCall|null} */
  call: null,
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  hangupTimer: undefined,
};

/**
 * Set the state and the status text, then bring every control in line with them.
 * @param {CustomerState} state
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

/** Enable, disable and show controls for the current state (buttons are disabled, never hidden). */
function render() {
  const canJoin = (page.state === 'idle' || page.state === 'ended') && !page.joining;
  ui.join.disabled = !canJoin;
  ui.name.disabled = !canJoin;
  ui.business.disabled = !canJoin;
  ui.hangup.disabled = !(page.state === 'in-call' && page.sessionId !== null && !page.leaving);
  ui.queue.hidden = page.state !== 'waiting';
  ui.leave.disabled = page.leaving;
  ui.placeholder.hidden = page.state === 'in-call';
}

/** @returns {Promise<SignalingClient>} a connected client, reusing the open one */
async function ensureConnected() {
  if (page.signaling && page.signaling.connected) {
    return page.signaling;
  }
  const client = new SignalingClient();
  client.on('queue_update', onQueueUpdate);
  client.on('queue_left', () => {
    page.leaving = false;
    releaseMedia();
    setState('idle', 'You left the queue. You can join again at any time.');
  });
  client.on('session_started', (message) => void onSessionStarted(message));
  client.on('answer', (message) => {
    page.call?.applyAnswer(message).catch((error) => {
      console.error('customer: could not apply the answer', error);
      setNotice(ui.notice, 'The video connection could not be set up.', 'error');
    });
  });
  client.on('media_state', (message) => {
    if (message.session_id === page.sessionId) {
      ui.statusDetail.textContent = message.state === 'connected' ? 'Video connected.' : 'Connecting video…';
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
      page.signaling = null;
      onConnectionLost(closeText(event));
    }
  });
  page.welcome = await client.connect({role: 'customer'});
  page.signaling = client;
  return client;
}

/** @param {SubmitEvent} event */
async function onJoin(event) {
  event.preventDefault();
  const displayName = ui.name.value.trim();
  ui.name.setCustomValidity(displayName ? '' : 'Please enter your name.');
  ui.business.setCustomValidity(ui.business.value ? '' : 'Please choose what we can help you with.');
  if (!ui.form.reportValidity()) {
    return;
  }
  setNotice(ui.notice, '');
  page.joining = true;
  setState(page.state, 'Connecting…');
  void acquireMedia();
  try {
    const client = await ensureConnected();
    client.send({type: 'join_queue', display_name: displayName, business: ui.business.value});
    setState('waiting', 'Please wait: a teller will be with you soon.');
  } catch (error) {
    releaseMedia();
    const text = error instanceof SignalingError ? error.message : 'Something went wrong. Please try again.';
    setState('idle', 'Could not join the queue.', text);
    if (!(error instanceof SignalingError)) {
      console.error('customer: join failed', error);
    }
  } finally {
    page.joining = false;
    render();
  }
}

/**
 * Open the camera and microphone once per visit to the queue, and preview them when they open.
 * @returns {Promise<LocalMedia>}
 */
function acquireMedia() {
  if (!page.media) {
    const pending = openLocalMedia();
    page.media = pending;
    void pending.then((media) => {
      if (page.media !== pending) {
        return; // released while opening
      }
      attachStream(ui.localVideo, media.stream);
      if (media.problem) {
        setNotice(ui.notice, media.problem);
      }
    });
  }
  return page.media;
}

/** Stop the camera and microphone (after the call or when leaving the queue). */
function releaseMedia() {
  const pending = page.media;
  page.media = null;
  attachStream(ui.localVideo, null);
  void pending?.then((media) => stopLocalMedia(media.stream));
}

/** @param {import('/shared/signaling.js').QueueUpdateMessage} message */
function onQueueUpdate(message) {
  ui.queue.dataset.position = String(message.position);
  ui.queue.dataset.etaSeconds = String(message.estimated_wait_seconds);
  ui.queuePosition.textContent = message.position === 1 ? 'You are next in line.' :
    `You are number ${message.position} in line.`;
  ui.queueEta.textContent = `Estimated wait: ${formatWait(message.estimated_wait_seconds)}.`;
  if (page.state !== 'waiting') {
    setState('waiting', 'Please wait: a teller will be with you soon.');
  }
}

/** @param {SessionStartedMessage} message */
async function onSessionStarted(message) {
  const client = page.signaling;
  if (!client || !page.welcome) {
    return;
  }
  page.sessionId = message.session_id;
  page.leaving = false;
  setState('in-call', `You are talking to ${message.peer.display_name}.`, 'Connecting video…');
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
    console.error('customer: could not start the call', error);
    setNotice(ui.notice, 'Your browser could not start the video call.', 'error');
  }
}

/** Ask the server to end the call; it answers with `session_ended`. */
function onHangup() {
  if (!page.signaling || !page.sessionId) {
    return;
  }
  page.leaving = true;
  render();
  ui.statusDetail.textContent = 'Ending the call…';
  page.signaling.send({type: 'hangup', session_id: page.sessionId});
  page.hangupTimer = setTimeout(() => endCall(END_REASONS.customer_hangup), HANGUP_CONFIRM_MS);
}

function onLeave() {
  if (page.signaling?.send({type: 'leave_queue'})) {
    page.leaving = true;
    render();
  }
}

/**
 * Close the call and return to the start state, keeping `reason` on screen.
 * @param {string} reason
 */
function endCall(reason) {
  clearTimeout(page.hangupTimer);
  page.call?.close();
  page.call = null;
  page.sessionId = null;
  page.leaving = false;
  releaseMedia();
  setState('ended', reason, 'You can join again at any time.');
}

/** @param {import('/shared/signaling.js').ErrorMessage} message */
function onServerError(message) {
  console.warn(`customer: server refused ${message.ref_type ?? 'a message'}: ${message.code}`);
  if (message.ref_type === 'join_queue' && page.state === 'waiting') {
    releaseMedia();
    setState('idle', 'Could not join the queue.', message.message);
    return;
  }
  if (message.ref_type === 'leave_queue' || message.ref_type === 'hangup') {
    page.leaving = false;
    render();
  }
  setNotice(ui.notice, message.message, 'error');
}

/** @param {string} text why the connection closed */
function onConnectionLost(text) {
  if (page.state === 'waiting' || page.state === 'in-call') {
    endCall(text);
  }
}

/**
 * @param {number} seconds an estimated wait
 * @returns {string} e.g. "less than a minute", "about 3 minutes"
 */
function formatWait(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) {
    return 'less than a minute';
  }
  return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
}

function fillBusinessSelect() {
  const prompt = new Option('Choose one…', '');
  prompt.disabled = true;
  prompt.selected = true;
  ui.business.append(prompt);
  for (const [value, label] of BUSINESS_LABELS) {
    ui.business.append(new Option(label, value));
  }
}

fillBusinessSelect();
countFrames(ui.remoteVideo);
offerSoundButton(ui.remoteVideo, ui.sound);
ui.form.addEventListener('submit', (event) => void onJoin(event));
ui.name.addEventListener('input', () => ui.name.setCustomValidity(''));
ui.business.addEventListener('change', () => ui.business.setCustomValidity(''));
ui.hangup.addEventListener('click', onHangup);
ui.leave.addEventListener('click', onLeave);
window.addEventListener('pagehide', () => {
  page.call?.close();
  page.signaling?.close();
  releaseMedia();
});
render();
