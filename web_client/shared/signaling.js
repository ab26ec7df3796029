/**
 * WebSocket client for the video_bank signaling protocol v1 (docs/protocol.md).
 *
 * One socket per tab at `/ws` on the page's own host. `connect()` sends `hello` and resolves with
 * the server's `welcome`; afterwards every server message is dispatched to the handlers registered
 * with `on(type, handler)` for its `type`. Register handlers before calling `connect()`: the server
 * may send messages (e.g. `teller_state`) right after `welcome`.
 *
 * @module signaling
 */

import {CloseCode, PROTOCOL_VERSION} from '/shared/protocol.js';

export {CloseCode, PROTOCOL_VERSION};

// The protocol's types come from shared/protocol.js (generated from the server's message classes);
// these names are the ones pages import from here.
/** @typedef {import('/shared/protocol.js').Role} Role */
/** @typedef {import('/shared/protocol.js').Business} Business */
/** @typedef {import('/shared/protocol.js').TellerState} TellerState */
/** @typedef {import('/shared/protocol.js').Lane} Lane */
/** @typedef {import('/shared/protocol.js').TaskKind} TaskKind */
/** @typedef {import('/shared/protocol.js').EndReason} EndReason */
/** @typedef {import('/shared/protocol.js').MonitorStopReason} MonitorStopReason */
/** @typedef {import('/shared/protocol.js').CallbackWindow} CallbackWindow */
/** @typedef {import('/shared/protocol.js').QueueSnapshot} QueueSnapshot */
/** @typedef {import('/shared/protocol.js').TellerSnapshot} TellerSnapshot */
/** @typedef {import('/shared/protocol.js').SessionSnapshot} SessionSnapshot */
/** @typedef {import('/shared/protocol.js').ServicePeriod} ServicePeriod */
/** @typedef {import('/shared/protocol.js').ServiceSnapshot} ServiceSnapshot */
/** @typedef {import('/shared/protocol.js').WelcomeMessage} WelcomeMessage */
/** @typedef {import('/shared/protocol.js').QueueUpdateMessage} QueueUpdateMessage */
/** @typedef {import('/shared/protocol.js').QueueLeftMessage} QueueLeftMessage */
/** @typedef {import('/shared/protocol.js').CallbackOfferMessage} CallbackOfferMessage */
/** @typedef {import('/shared/protocol.js').CallbackBookedMessage} CallbackBookedMessage */
/** @typedef {import('/shared/protocol.js').CallbackCancelledMessage} CallbackCancelledMessage */
/** @typedef {import('/shared/protocol.js').TellerStateMessage} TellerStateMessage */
/** @typedef {import('/shared/protocol.js').TaskOfferMessage} TaskOfferMessage */
/** @typedef {import('/shared/protocol.js').TaskOfferWithdrawnMessage} TaskOfferWithdrawnMessage */
/** @typedef {import('/shared/protocol.js').SessionStartedMessage} SessionStartedMessage */
/** @typedef {import('/shared/protocol.js').SessionResumedMessage} SessionResumedMessage */
/** @typedef {import('/shared/protocol.js').QueueResumedMessage} QueueResumedMessage */
/** @typedef {import('/shared/protocol.js').LegStateMessage} LegStateMessage */
/** @typedef {import('/shared/protocol.js').MediaRestartMessage} MediaRestartMessage */
/** @typedef {import('/shared/protocol.js').FeedbackRecordedMessage} FeedbackRecordedMessage */
/** @typedef {import('/shared/protocol.js').CallbackAnsweredMessage} CallbackAnsweredMessage */
/** @typedef {import('/shared/protocol.js').AnswerMessage} AnswerMessage */
/** @typedef {import('/shared/protocol.js').MediaStateMessage} MediaStateMessage */
/** @typedef {import('/shared/protocol.js').SessionEndedMessage} SessionEndedMessage */
/** @typedef {import('/shared/protocol.js').ErrorMessage} ErrorMessage */
/** @typedef {import('/shared/protocol.js').MonitorStartedMessage} MonitorStartedMessage */
/** @typedef {import('/shared/protocol.js').MonitorStoppedMessage} MonitorStoppedMessage */
/** @typedef {import('/shared/protocol.js').SupervisorSnapshotMessage} SupervisorSnapshotMessage */
/** @typedef {import('/shared/protocol.js').ServerMessageMap} ServerMessageMap */

/**
 * What `connect()` sends in `hello` besides `type` and `protocol`.
 * @typedef {object} Hello
 * @property {Role} role
 * @property {string} [username] staff only
 * @property {string} [password] staff only
 * @property {string} [callback_token] customers following a call-back link
 */

/** The server refused `hello`, or the socket closed before `welcome`. */
export class SignalingError extends Error {
  /**
   * @param {string} code protocol error code (e.g. `auth_failed`) or `closed`
   * @param {string} message human-readable text
   */
  constructor(code, message) {
    super(message);
    this.name = 'SignalingError';
    this.code = code;
  }
}

/** @returns {string} the `/ws` URL on this page's host, `wss:` when the page came over https */
export function defaultSignalingUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws`;
}

export class SignalingClient {
  /** @param {string} [url] defaults to {@link defaultSignalingUrl} */
  constructor(url = defaultSignalingUrl()) {
    /** @private */ this.url = url;
    /** @private @type {WebSocket|null} */ this.socket = null;
    /** @private @type {Map<string, Set<(message: any) => void>>} */ this.handlers = new Map();
    /** @private @type {Set<(event: CloseEvent) => void>} */ this.closeHandlers = new Set();
    /** @private */ this.welcomed = false;
  }

  /** @returns {boolean} true between `welcome` and the socket's close */
  get connected() {
    return this.welcomed && this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Call `handler` for every server message of `type` received after `welcome`.
   * @template {keyof ServerMessageMap} K
   * @param {K} type
   * @param {(message: ServerMessageMap[K]) => void} handler
   * @returns {() => void} removes the handler
   */
  on(type, handler) {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /**
   * Call `handler` when an established connection closes (not when `connect()` itself fails).
   * @param {(event: CloseEvent) => void} handler
   * @returns {() => void} removes the handler
   */
  onClose(handler) {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /**
   * Open the socket, send `hello` and wait for the answer.
   * @param {Hello} hello
   * @returns {Promise<WelcomeMessage>}
   * @throws {SignalingError} on `error` (e.g. `auth_failed`) or if the socket closes first
   */
  connect(hello) {
    if (this.socket) {
      throw new Error('SignalingClient.connect() called twice; create a new client instead');
    }
    const socket = new WebSocket(this.url);
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => {
        this.sendRaw({type: 'hello', protocol: PROTOCOL_VERSION, ...hello});
      });
      socket.addEventListener('message', (event) => {
        const message = parseMessage(event.data);
        if (!message) {
          return;
        }
        if (this.welcomed) {
          this.dispatch(message);
        } else if (message.type === 'welcome') {
          this.welcomed = true;
          resolve(/** @type {WelcomeMessage} */ (message));
        } else if (message.type === 'error') {
          reject(new SignalingError(message.code, message.message));
          this.close();
        }
      });
      socket.addEventListener('close', (event) => {
        if (this.welcomed) {
          this.welcomed = false;
          for (const handler of [...this.closeHandlers]) {
            handler(event);
          }
        } else {
          reject(new SignalingError('closed', closeText(event)));
        }
      });
    });
  }

  /**
   * Send one client message (see docs/protocol.md); ignored when not connected.
   * @param {{type: string} & Record<string, unknown>} message
   * @returns {boolean} whether the message was handed to the socket
   */
  send(message) {
    if (!this.connected) {
      return false;
    }
    this.sendRaw(message);
    return true;
  }

  /** Close the socket normally. Safe to call more than once. */
  close() {
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) {
      this.socket.close(CloseCode.NORMAL);
    }
  }

  /** @private @param {object} message */
  sendRaw(message) {
    /** @type {WebSocket} */ (this.socket).send(JSON.stringify(message));
  }

  /** @private @param {{type: string}} message */
  dispatch(message) {
    const set = this.handlers.get(message.type);
    if (!set) {
      return;
    }
    for (const handler of [...set]) {
      handler(message);
    }
  }
}

/**
 * @param {unknown} data one WebSocket frame
 * @returns {({type: string} & Record<string, any>)|null} the message, or null if it is not one
 */
function parseMessage(data) {
  if (typeof data !== 'string') {
    return null;
  }
  try {
    const message = JSON.parse(data);
    if (message && typeof message === 'object' && typeof message.type === 'string') {
      return message;
    }
  } catch {
    // fall through: not JSON
  }
  console.warn('signaling: ignored a frame that is not a protocol message');
  return null;
}

/**
 * @param {CloseEvent} event
 * @returns {string} why the socket closed, in plain words
 */
export function closeText(event) {
  switch (event.code) {
    case CloseCode.GOING_AWAY:
      return 'The service is restarting. Please try again in a minute.';
    case CloseCode.REPLACED:
      return 'This account signed in somewhere else.';
    case CloseCode.ABUSE:
      return 'Too many failed attempts. Please wait and try again.';
    default:
      return 'Cannot reach the service. Please check your connection and try again.';
  }
}
