/**
 * Customer page: join the queue for one business (or, aged 60 and over, tap "Talk to a person now"),
 * see the place in line and the wait, book a call-back instead of waiting, then hold a video call
 * with a teller, and rate it when it ends. Opened from a call-back link (`?callback=TOKEN`) it goes
 * straight into the call.
 *
 * One focused screen per moment (`html[data-view]`): `start` (the join form, then the demo app),
 * `waiting` (place in line, call-back offer), `call` (customer/call-screen.js: the teller's video
 * and the self-view always in view, the step in a sheet, never below the fold), `after` (why the
 * call ended and the rating, then the join form again).
 *
 * Resume (shared/resume.js): when the connection drops in a call or in line the page shows
 * `reconnecting`, closes its peer connection, opens a new socket with backoff and sends `resume`
 * with its latest token; the server puts it back in the same call (a new peer connection is made)
 * or at the same place in line. `reconnecting` is also shown while the teller's connection is lost.
 *
 * State (`call-status[data-state]`): idle → waiting → in-call → ended (and `reconnecting` from
 * waiting or in-call, back to either); `ended` behaves like `idle`
 * (the customer may join again) but keeps the reason on screen. The server decides: a join becomes
 * `waiting` only when the first `queue_update` arrives, and a refusal is shown in `join-error`
 * (`data-code` = the server's error code, the text in the page language from that code).
 *
 * The resident ID number is read from its field when joining and sent only in `join_queue`: it is
 * never logged, stored or shown anywhere else.
 */

import {bankApp, cobrowse, elderly, flowPanel, screen, verification} from '/customer/page-parts.js';
import {BookingCard, bookingStore} from '/customer/callback-booking.js';
import {CallbackOfferCard} from '/customer/callback-offer.js';
import {QueueView} from '/customer/queue-view.js';
import {RatingCard} from '/customer/rating-card.js';
import {serviceHours} from '/customer/service-hours.js';
import {strings} from '/customer/strings.js';
import {LocalCamera, holdResolutionDuringChecks, startCall} from '/shared/call.js';
import {byId, byTestId, setNotice} from '/shared/dom.js';
import {closeReasonText, errorText} from '/shared/error-texts.js';
import {CUSTOMER_BUSINESSES} from '/shared/protocol.js';
import {Reconnector, ResumeTokens, sendResume} from '/shared/resume.js';
import {CloseCode, SignalingClient, SignalingError} from '/shared/signaling.js';
import {countFrames, offerSoundButton} from '/shared/video.js';

/** @typedef {import('/shared/signaling.js').Hello} Hello */
/** @typedef {import('/shared/signaling.js').WelcomeMessage} WelcomeMessage */
/** @typedef {import('/shared/signaling.js').SessionStartedMessage} SessionStartedMessage */
/** @typedef {import('/shared/signaling.js').EndReason} EndReason */
/** @typedef {import('/shared/signaling.js').ErrorMessage} ErrorMessage */
/** @typedef {import('/shared/rtc.js').HubCall} HubCall */
/** @typedef {import('/customer/callback-booking.js').Booking} Booking */
/** @typedef {import('/customer/rating-card.js').FeedbackFields} FeedbackFields */
/** @typedef {import('/shared/signaling.js').SessionResumedMessage} SessionResumedMessage */
/** @typedef {'idle'|'waiting'|'in-call'|'reconnecting'|'ended'} CustomerState */

const t = strings.t.bind(strings);
const lang = strings.lang;

/** If the server does not confirm a hang-up within this time, end the call locally. */
const HANGUP_CONFIRM_MS = 5000;
/** "Talk to a person now" serves this business when none was chosen. */
const TALK_NOW_BUSINESS = 'activation';
/** The name the teller sees when the one-tap button is used without one. */
const TALK_NOW_NAME = t('page.customer_name_default');
/** Join refusals about the resident ID number. */
const ID_REFUSALS = new Set(['invalid_resident_id', 'not_eligible']);
/** What a call-back link token looks like (docs/protocol.md, `hello.callback_token`). */
const CALLBACK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** @type {Record<string, string>} `callback_cancelled.reason` -> what to tell the customer */
const CALLBACK_ENDED = {
  cancelled: t('callback_end.cancelled'),
  expired: t('callback_end.expired'),
  missed: t('callback_end.missed'),
};

const ui = {
  status: byTestId('call-status', HTMLElement),
  statusText: byId('status-text', HTMLElement),
  statusDetail: byId('status-detail', HTMLElement),
  notice: byId('notice', HTMLElement),
  form: byId('join-form', HTMLFormElement),
  name: byTestId('display-name', HTMLInputElement),
  business: byTestId('business-select', HTMLSelectElement),
  residentId: byTestId('resident-id', HTMLInputElement),
  joinError: byTestId('join-error', HTMLElement),
  join: byTestId('join-button', HTMLButtonElement),
  talkNow: byTestId('talk-now', HTMLButtonElement),
  queue: byTestId('queue-status', HTMLElement),
  leave: byTestId('leave-queue-button', HTMLButtonElement),
  hangup: byTestId('hangup-button', HTMLButtonElement),
  remoteVideo: byTestId('remote-video', HTMLVideoElement),
  localVideo: byTestId('local-video', HTMLVideoElement),
  placeholder: byId('stage-placeholder', HTMLElement),
  sound: byId('sound-button', HTMLButtonElement),
  after: byTestId('after-call', HTMLElement),
};

const page = {
  /** @type {CustomerState} */
  state: 'idle',
  /** join_queue is being sent or was sent and not yet answered. */
  joining: false,
  /** The page was opened from a call-back link and waits for the session. */
  followingLink: false,
  /** leave_queue or hangup was sent and not yet confirmed. */
  leaving: false,
  /** @type {SignalingClient|null} */
  signaling: null,
  /** @type {WelcomeMessage|null} */
  welcome: null,
  /** @type {string|null} */
  sessionId: null,
  /** @type {string} the business of the current session, for the status line */
  business: '',
  /** @type {{sessionId: string, token: string}|null} the session to rate once it ends */
  rateable: null,
  /** @type {HubCall|null} */
  call: null,
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  hangupTimer: undefined,
  /** @type {{servers: RTCIceServer[], policy: RTCIceTransportPolicy|undefined}} this call's ICE configuration */
  ice: {servers: [], policy: undefined},
  /** @type {string} the teller's name in the current call */
  tellerName: '',
  /** @type {'in-call'|'waiting'|null} what this page is taking back while reconnecting */
  resuming: null,
  /** The tab is being left or reloaded. */
  unloading: false,
};

/** The latest resume tokens of this tab (they survive a reload). */
const tokens = new ResumeTokens('video_bank.customer.resume');
const reconnector = new Reconnector({
  attempt: attemptResume,
  finished: (result) => {
    if (result === 'refused') {
      resumeRefused();
    }
  },
});

const camera = new LocalCamera(ui.localVideo, (media) => {
  if (media.problemCode) {
    setNotice(ui.notice, t(`media.${media.problemCode}`));
  }
});
const queueView = new QueueView();
const callbackOffer = new CallbackOfferCard((fields) => {
  return page.signaling?.send({type: 'callback_request', ...fields}) ?? false;
});
const bookingCard = new BookingCard((booking) => void cancelBooking(booking));
const ratingCard = new RatingCard(sendFeedback, screen.log);
ui.after.append(ratingCard.root);

/**
 * Set the state and the status text, then bring every control in line with them.
 * @param {CustomerState} state
 * @param {string} text
 * @param {string} [detail]
 */
function setState(state, text, detail = '') {
  page.state = state;
  ui.status.dataset.state = state;
  ui.status.dataset.quiet = 'false';
  ui.statusText.textContent = text;
  ui.statusDetail.textContent = detail;
  if (state !== 'waiting') {
    queueView.clear();
    callbackOffer.hide();
  }
  render();
}

/** @returns {'start'|'waiting'|'call'|'after'} the view of the current state */
function view() {
  switch (page.state) {
    case 'waiting':
      return 'waiting';
    case 'in-call':
      return 'call';
    case 'reconnecting':
      return page.sessionId !== null ? 'call' : 'waiting';
    case 'ended':
      return ui.after.hidden ? 'start' : 'after';
    default:
      return 'start';
  }
}

/** Enable, disable and show controls for the current state (buttons are disabled, never hidden). */
function render() {
  const canJoin = (page.state === 'idle' || page.state === 'ended') && !page.joining &&
    !page.followingLink;
  for (const control of [ui.join, ui.talkNow, ui.name, ui.business, ui.residentId]) {
    control.disabled = !canJoin;
  }
  // Opened from a call-back link, or holding a booking: the form would only distract.
  ui.form.hidden = page.followingLink || bookingCard.current !== null;
  const connected = page.signaling !== null && page.signaling.connected;
  const inCall = page.state === 'in-call' || (page.state === 'reconnecting' && connected);
  ui.hangup.disabled = !(inCall && page.sessionId !== null && !page.leaving);
  ui.queue.hidden = page.state !== 'waiting' && !(page.state === 'reconnecting' && page.sessionId === null);
  ui.leave.disabled = page.leaving;
  ui.placeholder.hidden = page.state !== 'idle' && page.state !== 'ended' && page.sessionId !== null &&
    ui.remoteVideo.classList.contains('live');
  const next = view();
  const root = document.documentElement;
  if (root.dataset.view !== next || !bankApp.root.isConnected) {
    root.dataset.view = next;
    placeApp(next);
    if (next === 'call' || next === 'after' || next === 'waiting') {
      window.scrollTo(0, 0); // the new screen starts at its top: its one thing to do is in view
    }
  }
}

/**
 * In a call the demo app lives in the call body (what co-browsing shows, between the video and the
 * step); otherwise it follows the join form, never above it.
 * @param {string} next
 */
function placeApp(next) {
  if (next === 'call') {
    screen.body.append(bankApp.root);
  } else {
    ui.form.after(bankApp.root);
  }
  cobrowse.setScroller(next === 'call' ? screen.body : null);
  screen.fit();
}

/**
 * Show why a join was refused, or clear it.
 * @param {string} code the server's error code (or `closed`), empty to clear
 * @param {Record<string, unknown>} [params]
 */
function showJoinError(code, params = {}) {
  ui.joinError.dataset.code = code;
  setNotice(ui.joinError, code ? errorText(code, lang, /** @type {Record<string, string>} */ (params)) : '', 'error');
}

/**
 * Open a socket with every handler of this page registered and say `hello`.
 * @param {Hello} hello
 * @returns {Promise<SignalingClient>}
 */
async function connectClient(hello) {
  const client = new SignalingClient();
  flowPanel.attach(client);
  cobrowse.attach(client);
  elderly.attach(client);
  verification.attach(client);
  holdResolutionDuringChecks(client, () => page.call);
  client.on('queue_update', (message) => {
    page.joining = false;
    queueView.show(message);
    if (page.state !== 'waiting') {
      showJoinError('');
      const soon = message.lane === 'elderly' ? t('status.priority_wait') : t('status.wait');
      setState('waiting', soon);
      void camera.open();
    }
  });
  client.on('queue_left', () => {
    page.leaving = false;
    camera.release();
    setState('idle', t('status.left_queue'));
  });
  client.on('callback_offer', (message) => {
    if (page.state === 'waiting') {
      callbackOffer.show(message.estimated_wait_seconds, message.windows ?? []);
    }
  });
  client.on('callback_booked', (message) => {
    bookingStore.save(message);
    bookingCard.show(message);
    camera.release();
    setState('idle', t('status.callback_booked'), t('status.callback_left_line'));
  });
  client.on('callback_cancelled', (message) => {
    if (bookingCard.current?.reservation_id === message.reservation_id) {
      endBooking();
      setState('idle', CALLBACK_ENDED[message.reason] ?? t('status.callback_ended'),
        t('status.join_again_any_time'));
    }
  });
  client.on('session_started', (message) => void onSessionStarted(message));
  client.on('session_resumed', (message) => void onSessionResumed(message));
  client.on('queue_resumed', (message) => {
    tokens.save({queue: message.resume_token, session: null});
    page.resuming = null;
    setNotice(ui.notice, '');
    setState('waiting', t('status.back_in_line'));
  });
  client.on('leg_state', (message) => {
    if (message.session_id !== page.sessionId || message.leg !== 'teller') {
      return;
    }
    if (message.state === 'lost') {
      setState('reconnecting', t('status.teller_reconnecting'), t('status.teller_reconnecting_detail'));
    } else if (page.state === 'reconnecting') {
      setState('in-call', servingText(), t('status.video_connecting'));
    }
  });
  client.on('media_restart', (message) => {
    if (message.session_id === page.sessionId) {
      void restartMedia();
    }
  });
  client.on('answer', (message) => {
    page.call?.applyAnswer(message).catch((error) => {
      console.error('customer: could not apply the answer', error);
      setNotice(ui.notice, t('notice.video_setup_failed'), 'error');
    });
  });
  client.on('media_state', (message) => {
    if (message.session_id === page.sessionId) {
      ui.statusDetail.textContent = message.state === 'connected' ? t('status.video_connected') :
        t('status.video_connecting');
      render();
    }
  });
  client.on('session_ended', (message) => {
    if (message.session_id !== page.sessionId) {
      return;
    }
    tokens.save({session: null});
    if (message.requeued && message.resume_token) {
      // The teller's connection was lost for good: first in line again for the next teller.
      tokens.save({queue: message.resume_token});
      page.call?.close();
      page.call = null;
      page.sessionId = null;
      flowPanel.ended();
      setState('waiting', t('status.requeued'), t('status.requeued_detail'));
      return;
    }
    endCall(t(`end.${message.reason}`));
  });
  client.on('feedback_recorded', () => ratingCard.recorded());
  client.on('error', onServerError);
  client.onClose((event) => {
    if (page.signaling === client) {
      page.signaling = null;
      if (event.code === CloseCode.RESUMED) {
        return; // this tab's call went on in another connection of this tab
      }
      onConnectionLost(closeReasonText(event.code, lang));
    }
  });
  page.welcome = await client.connect(hello);
  page.signaling = client;
  if (page.welcome.resume_token && page.resuming === null) {
    tokens.save({queue: page.welcome.resume_token}); // while resuming, the token in use stays
  }
  return client;
}

/** @returns {Promise<SignalingClient>} a connected client, reusing the open one */
async function ensureConnected() {
  if (page.signaling && page.signaling.connected) {
    return page.signaling;
  }
  return connectClient({role: 'customer'});
}

/**
 * Ask for a place in line: the regular way (name and business required) or with the one-tap
 * "talk to a person now" (the server checks the ID number shows an age of 60 or over).
 * @param {boolean} talkNow
 * @returns {Promise<void>}
 */
async function join(talkNow) {
  const displayName = ui.name.value.trim();
  if (!talkNow) {
    ui.name.setCustomValidity(displayName ? '' : t('form.name_required'));
    ui.business.setCustomValidity(ui.business.value ? '' : t('form.business_required'));
    if (!ui.form.reportValidity()) {
      return;
    }
  }
  /** @type {{type: 'join_queue', display_name: string, business: string, resident_id?: string,
   *   talk_now?: boolean, language: string}} */
  const message = {
    type: 'join_queue',
    display_name: displayName || TALK_NOW_NAME,
    business: ui.business.value || TALK_NOW_BUSINESS,
    language: lang,
  };
  const residentId = ui.residentId.value.replace(/\s+/g, '').toUpperCase();
  if (residentId) {
    message.resident_id = residentId;
  }
  if (talkNow) {
    message.talk_now = true;
  }
  setNotice(ui.notice, '');
  showJoinError('');
  ui.after.hidden = true;
  page.joining = true;
  setState(page.state, talkNow ? t('status.connecting_person') : t('status.joining'));
  try {
    const client = await ensureConnected();
    if (!client.send(message)) {
      throw new SignalingError('closed', '');
    }
    // Answered by queue_update (waiting), session_started (a teller took it at once) or error.
  } catch (error) {
    page.joining = false;
    if (!(error instanceof SignalingError)) {
      console.error('customer: join failed', error);
    }
    showJoinError(error instanceof SignalingError ? error.code : 'client_error');
    setState(page.state, t('status.join_failed'));
  }
}

/** @param {SessionStartedMessage} message */
async function onSessionStarted(message) {
  const client = page.signaling;
  if (!client || !page.welcome) {
    return;
  }
  tokens.save({session: message.resume_token ?? null});
  page.ice = {servers: message.ice_servers ?? page.welcome.ice_servers, policy: message.ice_transport_policy};
  page.tellerName = message.peer.display_name;
  page.sessionId = message.session_id;
  page.business = message.business;
  page.rateable = message.feedback_token ? {sessionId: message.session_id, token: message.feedback_token} : null;
  page.joining = false;
  if (message.kind === 'callback') {
    endBooking(); // the call-back this tab booked is happening: nothing left to cancel
  }
  page.followingLink = false;
  page.leaving = false;
  ui.residentId.value = ''; // it served the join; it is not kept on the phone during or after the call
  showJoinError('');
  ui.after.hidden = true;
  setNotice(ui.notice, '');
  setState('in-call', servingText(), t('status.video_connecting'));
  await startMedia();
}

/** @returns {string} the status line of the current call */
function servingText() {
  return t('status.serving', {name: page.tellerName, business: t(`business.${page.business}`)});
}

/**
 * Create this call's peer connection with the hub and send the offer (again after a drop or a
 * failure: a new one each time).
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
    media: camera.open(),
    remoteVideo: ui.remoteVideo,
    isCurrent: () => page.sessionId === sessionId && page.signaling === client,
    created: (call) => {
      page.call = call;
    },
    failed: (error) => {
      console.error('customer: could not start the call', error);
      setNotice(ui.notice, t('notice.call_start_failed'), 'error');
    },
    mediaFailed: () => void restartMedia(),
  });
}

/** The peer connection failed (or the server says so): a fresh one replaces it. */
async function restartMedia() {
  page.call?.close();
  page.call = null;
  if (page.state === 'in-call') {
    ui.statusDetail.textContent = t('status.video_connecting');
  }
  await startMedia();
}

/** @param {SessionResumedMessage} message */
async function onSessionResumed(message) {
  tokens.save({session: message.resume_token});
  page.resuming = null;
  page.sessionId = message.session_id;
  page.business = message.business;
  page.tellerName = message.peer.display_name;
  page.ice = {servers: message.ice_servers, policy: message.ice_transport_policy};
  setNotice(ui.notice, '');
  if (message.peer_present === false) {
    setState('reconnecting', t('status.teller_reconnecting'), t('status.teller_reconnecting_detail'));
  } else {
    setState('in-call', servingText(), t('status.video_connecting'));
  }
  elderly.say(t('call.resumed'));
  await restartMedia();
}

/**
 * The connection dropped in a call or in line: show it, drop the peer connection (its path is
 * gone) and try to take the call or the place back.
 */
function startReconnecting() {
  const stored = tokens.load();
  const inCall = page.sessionId !== null;
  const token = inCall ? stored.session : stored.queue;
  if (!token) {
    return false;
  }
  page.resuming = inCall ? 'in-call' : 'waiting';
  page.call?.close();
  page.call = null;
  setState('reconnecting', t('status.reconnecting'), t('status.reconnecting_detail'));
  elderly.say(t('status.reconnecting'));
  reconnector.start();
  return true;
}

/** @returns {Promise<import('/shared/resume.js').ResumeResult>} one attempt: a new socket, `resume` */
async function attemptResume() {
  const stored = tokens.load();
  const token = page.resuming === 'in-call' ? stored.session : stored.queue;
  if (!token) {
    return 'refused';
  }
  let client;
  try {
    client = await connectClient({role: 'customer'});
  } catch {
    return 'failed';
  }
  return sendResume(client, token);
}

/** The server will not give the call (or the place) back: it is over. */
function resumeRefused() {
  const wasCall = page.resuming === 'in-call';
  page.resuming = null;
  tokens.save({session: null});
  if (wasCall) {
    page.state = 'in-call'; // endCall shows the rating of a call that took place
    endCall(t('end.customer_lost'));
  } else {
    camera.release();
    setState('idle', t('status.place_lost'), t('status.join_again'));
  }
}

/** Ask the server to end the call; it answers with `session_ended`. */
function onHangup() {
  if (!page.signaling || !page.sessionId) {
    return;
  }
  page.leaving = true;
  render();
  ui.statusDetail.textContent = t('status.ending_call');
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
 * Close the call and show the end: why it ended and, for a call that took place, the rating.
 * @param {string} reason
 */
function endCall(reason) {
  clearTimeout(page.hangupTimer);
  reconnector.stop();
  page.resuming = null;
  tokens.save({session: null});
  const wasInCall = page.state === 'in-call' || page.state === 'reconnecting';
  page.call?.close();
  page.call = null;
  page.sessionId = null;
  page.leaving = false;
  page.joining = false;
  camera.release();
  flowPanel.ended();
  if (wasInCall && page.rateable) {
    ratingCard.open(page.rateable.sessionId, page.rateable.token);
    ui.after.hidden = false;
    screen.log.hidden(screen.log.shown('call', 'result', 'ended', 0), 'end');
  }
  page.rateable = null;
  setState('ended', reason, t('status.join_again'));
}

/**
 * Send the rating of the session that ended (over a new connection if the old one is gone).
 * @param {FeedbackFields} fields
 * @returns {Promise<boolean>} whether it was handed to a socket
 */
async function sendFeedback(fields) {
  try {
    const client = await ensureConnected();
    return client.send({type: 'feedback', ...fields});
  } catch (error) {
    console.warn('customer: the rating could not be sent', error instanceof SignalingError ? error.code : error);
    return false;
  }
}

/**
 * Ask the server to cancel a booked call-back (from this socket or a new one after a reload).
 * @param {Booking} booking
 * @returns {Promise<void>}
 */
async function cancelBooking(booking) {
  try {
    const client = await ensureConnected();
    const sent = client.send({
      type: 'callback_cancel',
      reservation_id: booking.reservation_id,
      cancel_token: booking.cancel_token,
    });
    if (!sent) {
      throw new SignalingError('closed', '');
    }
  } catch (error) {
    bookingCard.cancelFailed();
    if (!(error instanceof SignalingError)) {
      console.error('customer: cancelling the call-back failed', error);
    }
    setNotice(ui.notice, errorText(error instanceof SignalingError ? error.code : 'client_error', lang), 'error');
  }
}

/** Forget the booking: it was cancelled, refused or is over. */
function endBooking() {
  bookingStore.clear();
  bookingCard.hide();
}

/** @param {ErrorMessage} message */
function onServerError(message) {
  console.warn(`customer: server refused ${message.ref_type ?? 'a message'}: ${message.code}`);
  const text = errorText(message.code, lang, message.params ?? {});
  switch (message.ref_type) {
    case 'join_queue':
      page.joining = false;
      camera.release();
      showJoinError(message.code, message.params ?? {});
      setState(page.state === 'waiting' ? 'idle' : page.state, t('status.join_failed'));
      // Refused for the ID number: put the customer where the fix is (the alert is read out).
      (ID_REFUSALS.has(message.code) ? ui.residentId : ui.join).focus();
      return;
    case 'callback_request':
      callbackOffer.refused(text);
      return;
    case 'callback_cancel':
      // The reservation is gone (already called, expired or unknown): nothing left to cancel here.
      endBooking();
      setState(page.state, t('status.callback_cancel_failed'));
      break;
    case 'feedback':
      ratingCard.refused(message.code);
      return;
    case 'flow_input':
      return; // the flow panel shows it beside the step it is about
    case 'resume':
      return; // the call or the place is over: the reconnect ends it and says so
    case 'ice':
    case 'offer':
    case 'hangup':
      if (page.state !== 'in-call') {
        page.leaving = false;
        render();
        return; // a late message of a call that has just ended: nothing for the customer to do
      }
      break;
    case 'leave_queue':
      page.leaving = false;
      render();
      break;
    default:
      if (message.code === 'invalid_callback' && page.followingLink) {
        page.followingLink = false;
        camera.release();
        setState('idle', t('status.callback_link_unusable'), t('status.join_below'));
      }
      break;
  }
  setNotice(ui.notice, text, 'error');
}

/** @param {string} text why the connection closed */
function onConnectionLost(text) {
  if (page.unloading) {
    return;
  }
  if (page.resuming !== null) {
    render(); // an attempt to resume failed: the reconnector tries again
    return;
  }
  if ((page.state === 'in-call' || page.state === 'waiting' || page.state === 'reconnecting') &&
      startReconnecting()) {
    return;
  }
  if (page.state === 'in-call') {
    endCall(t('end.customer_lost'));
  } else if (page.state === 'waiting') {
    endCall(text);
  } else if (page.joining || page.followingLink) {
    page.joining = false;
    page.followingLink = false;
    camera.release();
    setState(page.state, text);
  }
}

/**
 * Opened from a call-back link: go straight into the teller's session, without the form.
 * @returns {boolean} whether the page was opened from such a link
 */
function followCallbackLink() {
  const token = new URLSearchParams(location.search).get('callback');
  if (token === null) {
    return false;
  }
  // The token is single-use and secret: drop it from the address bar and the history.
  const keep = new URLSearchParams(location.search);
  keep.delete('callback');
  history.replaceState(null, '', keep.size ? `${location.pathname}?${keep}` : location.pathname);
  if (!CALLBACK_TOKEN_PATTERN.test(token)) {
    setNotice(ui.notice, t('notice.callback_link_incomplete'), 'error');
    return true;
  }
  page.followingLink = true;
  setState('idle', t('status.connecting_teller'), t('status.allow_camera'));
  void camera.open();
  connectClient({role: 'customer', callback_token: token}).catch((error) => {
    page.followingLink = false;
    camera.release();
    const code = error instanceof SignalingError ? error.code : 'client_error';
    setState('idle', t('status.callback_link_failed'), errorText(code, lang));
  });
  return true;
}

/**
 * Reloaded during a call (or while waiting): take it back with the tab's token.
 * @returns {boolean} whether there was something to take back
 */
function resumeAfterReload() {
  const stored = tokens.load();
  if (stored.session) {
    page.sessionId = ''; // a call, identified once the server answers
  } else if (!stored.queue) {
    return false;
  }
  // The queue token of a tab that never joined has nothing to take back: only try a call or a wait.
  if (page.sessionId === null) {
    return false;
  }
  startReconnecting();
  return true;
}

/** A booking made earlier in this tab survives a reload so that it can still be cancelled. */
function restoreBooking() {
  const booking = bookingStore.load();
  if (booking) {
    bookingCard.show(booking);
    setState('idle', t('status.callback_booked'), t('status.callback_cancel_below'));
  }
}

function fillBusinessSelect() {
  const prompt = new Option(t('form.choose_one'), '');
  prompt.disabled = true;
  prompt.selected = true;
  ui.business.append(prompt);
  for (const value of CUSTOMER_BUSINESSES) {
    ui.business.append(new Option(t(`business.${value}`), value));
  }
}

/**
 * From the demo app: do this business over video — the join form, filled in, in view.
 * @param {string} business
 */
function videoInstead(business) {
  if (page.state !== 'idle' && page.state !== 'ended') {
    return;
  }
  ui.business.value = business;
  ui.form.scrollIntoView({block: 'start'});
  ui.name.focus({preventScroll: true});
}

fillBusinessSelect();
bankApp.onVideoInstead(videoInstead);
countFrames(ui.remoteVideo);
offerSoundButton(ui.remoteVideo, ui.sound);
ui.remoteVideo.addEventListener('playing', render);
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void join(false);
});
ui.talkNow.addEventListener('click', () => void join(true));
ui.name.addEventListener('input', () => ui.name.setCustomValidity(''));
ui.business.addEventListener('change', () => ui.business.setCustomValidity(''));
ui.residentId.addEventListener('input', () => showJoinError(''));
ui.hangup.addEventListener('click', onHangup);
ui.leave.addEventListener('click', onLeave);
// The network is gone (e.g. the phone lost Wi-Fi): the socket and the peer connection will not come
// back on their own; drop them now and reconnect as soon as the browser is online again.
window.addEventListener('offline', () => {
  if (page.signaling && (page.state === 'in-call' || page.state === 'waiting' || page.state === 'reconnecting')) {
    page.signaling.close();
  }
});
window.addEventListener('pagehide', () => {
  page.unloading = true; // a reload takes the call back with the tab's token; nothing to do here
  reconnector.stop();
  page.call?.close();
  page.signaling?.close();
  camera.release();
});
void serviceHours();
if (!followCallbackLink() && !resumeAfterReload()) {
  restoreBooking();
}
render();
