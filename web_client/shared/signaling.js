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

export const PROTOCOL_VERSION = 1;

/** @typedef {'customer'|'teller'|'supervisor'|'auditor'} Role */
/** @typedef {'activation'|'password_reset'|'info_update'|'corporate_willingness'|'card_review'} Business */
/** @typedef {'offline'|'available'|'reserved'|'away'|'in-call'|'wrap-up'} TellerState */
/** @typedef {'standard'|'elderly'} Lane */
/** @typedef {'call'|'callback'} TaskKind */
/**
 * @typedef {'customer_hangup'|'teller_hangup'|'customer_lost'|'teller_lost'|'media_failed'|
 *   'server_shutdown'|'callback_missed'|'not_recorded'} EndReason
 */

/**
 * @typedef {object} WelcomeMessage
 * @property {'welcome'} type
 * @property {number} protocol
 * @property {Role} role
 * @property {string} connection_id
 * @property {string} [display_name]
 * @property {RTCIceServer[]} ice_servers
 * @property {Business[]} businesses
 * @property {string} [resume_token] to a customer: keeps the place in line if the socket drops (secret)
 */
/**
 * @typedef {object} QueueUpdateMessage
 * @property {'queue_update'} type
 * @property {number} position 1 = next in line
 * @property {number} estimated_wait_seconds
 * @property {Business} business
 * @property {Lane} lane
 */
/** @typedef {{type: 'queue_left', reason: string}} QueueLeftMessage */
/**
 * @typedef {object} CallbackWindow a call-back time offered, inside the service hours
 * @property {'soon'|'later_today'|'next_morning'|'next_afternoon'} kind
 * @property {number} start epoch seconds
 * @property {number} end epoch seconds
 */
/**
 * @typedef {object} CallbackOfferMessage
 * @property {'callback_offer'} type
 * @property {number} estimated_wait_seconds
 * @property {CallbackWindow[]} [windows] the times the customer may choose
 */
/**
 * @typedef {object} CallbackBookedMessage
 * @property {'callback_booked'} type
 * @property {string} reservation_id
 * @property {string} cancel_token secret: only for `callback_cancel`
 * @property {number} window_start epoch seconds
 * @property {number} window_end epoch seconds
 */
/**
 * @typedef {object} CallbackCancelledMessage
 * @property {'callback_cancelled'} type
 * @property {string} reservation_id
 * @property {'cancelled'|'expired'|'missed'} reason
 */
/**
 * @typedef {object} TellerStateMessage
 * @property {'teller_state'} type
 * @property {TellerState} state
 * @property {string|null} [reason] why the teller is away (`login`, `no_answer`, `rejected`, …)
 * @property {boolean} [auto_accept] offers are accepted at once
 * @property {number} [wrap_up_seconds_left] in `wrap-up`
 */
/**
 * @typedef {object} TaskOfferMessage
 * @property {'task_offer'} type
 * @property {string} task_id
 * @property {TaskKind} kind
 * @property {Business} business
 * @property {{display_name: string, elderly: boolean}} customer
 * @property {number} waited_seconds
 * @property {number} expires_in_seconds
 */
/**
 * @typedef {object} TaskOfferWithdrawnMessage
 * @property {'task_offer_withdrawn'} type
 * @property {string} task_id
 * @property {'customer_left'|'timeout'|'rejected'} reason
 */
/**
 * @typedef {object} SessionStartedMessage
 * @property {'session_started'} type
 * @property {string} session_id
 * @property {Business} business
 * @property {{role: 'customer'|'teller', display_name: string, elderly?: boolean}} peer
 * @property {TaskKind} [kind] `callback` when a teller calls a booked customer back
 * @property {RTCIceServer[]} ice_servers this party's ICE servers (TURN with a short-lived credential)
 * @property {RTCIceTransportPolicy} ice_transport_policy `relay`: TURN relays only
 * @property {boolean} [elderly] to the customer: served as aged 60 or over
 * @property {string} [feedback_token] to the customer: rates this session once it has ended (secret)
 * @property {string} [resume_token] takes this party's leg back after a lost connection (secret)
 */
/**
 * @typedef {object} SessionResumedMessage back in the same call on a new socket: make a new peer connection
 * @property {'session_resumed'} type
 * @property {string} session_id
 * @property {Business} business
 * @property {{role: 'customer'|'teller', display_name: string, elderly?: boolean}} peer
 * @property {number} away_seconds
 * @property {TaskKind} [kind]
 * @property {boolean} [elderly]
 * @property {boolean} [peer_present] whether the other party is connected now
 * @property {RTCIceServer[]} ice_servers
 * @property {RTCIceTransportPolicy} ice_transport_policy
 * @property {string} resume_token the next token (secret)
 */
/**
 * @typedef {object} QueueResumedMessage back in line at the same place (a `queue_update` follows)
 * @property {'queue_resumed'} type
 * @property {Business} business
 * @property {number} away_seconds
 * @property {string} resume_token the next token (secret)
 */
/**
 * @typedef {object} LegStateMessage the other party's connection was lost (kept for `grace_seconds`) or is back
 * @property {'leg_state'} type
 * @property {string} session_id
 * @property {'customer'|'teller'} leg
 * @property {'lost'|'resumed'} state
 * @property {number} [grace_seconds]
 */
/**
 * @typedef {object} MediaRestartMessage this page's peer connection with the hub failed: make a new one
 * @property {'media_restart'} type
 * @property {string} session_id
 * @property {'failed'} reason
 * @property {number} [grace_seconds]
 */
/** @typedef {{type: 'feedback_recorded', session_id: string}} FeedbackRecordedMessage */
/** @typedef {{type: 'callback_answered', session_id: string}} CallbackAnsweredMessage */
/** @typedef {{type: 'answer', session_id: string, sdp: string}} AnswerMessage */
/** @typedef {{type: 'media_state', session_id: string, state: 'connecting'|'connected'}} MediaStateMessage */
/**
 * @typedef {object} SessionEndedMessage
 * @property {'session_ended'} type
 * @property {string} session_id
 * @property {EndReason} reason
 * @property {boolean} [requeued] to the customer after `teller_lost`: back at the head of the line
 * @property {string} [resume_token] with `requeued`: keeps that place (secret)
 */
/**
 * @typedef {object} ErrorMessage
 * @property {'error'} type
 * @property {string} code the refusal; pages word it in their language (shared/error-texts.js)
 * @property {string} message the server's plain English
 * @property {string|null} [ref_type]
 * @property {Record<string, string|number|boolean>} [params] values for the page's wording
 */
/**
 * @typedef {object} MonitorStartedMessage
 * @property {'monitor_started'} type
 * @property {string} session_id
 * @property {Business} business
 * @property {string} teller username
 * @property {string} customer display name
 * @property {RTCIceServer[]} ice_servers the monitor's ICE servers (TURN with its own credential)
 * @property {RTCIceTransportPolicy} ice_transport_policy
 */
/** @typedef {'stopped'|'session_ended'|'media_failed'} MonitorStopReason */
/** @typedef {{type: 'monitor_stopped', session_id: string, reason: MonitorStopReason}} MonitorStoppedMessage */

/**
 * @typedef {object} QueueSnapshot one business and lane
 * @property {Business} business
 * @property {Lane} lane
 * @property {number} waiting live callers in line
 * @property {number} callbacks booked call-backs in line
 * @property {number} longest_wait_seconds
 */
/**
 * @typedef {object} TellerSnapshot
 * @property {string} username
 * @property {string} display_name
 * @property {TellerState} state
 * @property {string|null} reason
 * @property {number} seconds_in_state
 * @property {boolean} elder_care
 */
/**
 * @typedef {object} SessionSnapshot
 * @property {string} session_id
 * @property {Business} business
 * @property {string} teller username
 * @property {string} customer display name
 * @property {TaskKind} kind
 * @property {'negotiating'|'active'|'ended'} state
 * @property {number} seconds
 */
/**
 * @typedef {object} ServicePeriod figures over one period (`null` while there is nothing to count)
 * @property {number} answered
 * @property {number} abandoned
 * @property {number|null} service_level 0–1
 * @property {number|null} abandon_rate 0–1
 * @property {number|null} average_wait_seconds
 * @property {number|null} average_wait_elderly_seconds
 * @property {number|null} average_handle_seconds
 */
/**
 * @typedef {object} ServiceSnapshot
 * @property {number} threshold_seconds answered within this counts for the service level
 * @property {ServicePeriod} last_15_minutes
 * @property {ServicePeriod} today
 */
/**
 * @typedef {object} SupervisorSnapshotMessage
 * @property {'supervisor_snapshot'} type
 * @property {number} at server time, epoch seconds
 * @property {QueueSnapshot[]} queues
 * @property {TellerSnapshot[]} tellers
 * @property {SessionSnapshot[]} sessions
 * @property {ServiceSnapshot} service
 */

/**
 * @typedef {object} ServerMessageMap
 * @property {WelcomeMessage} welcome
 * @property {QueueUpdateMessage} queue_update
 * @property {QueueLeftMessage} queue_left
 * @property {CallbackOfferMessage} callback_offer
 * @property {CallbackBookedMessage} callback_booked
 * @property {CallbackCancelledMessage} callback_cancelled
 * @property {TellerStateMessage} teller_state
 * @property {TaskOfferMessage} task_offer
 * @property {TaskOfferWithdrawnMessage} task_offer_withdrawn
 * @property {SessionStartedMessage} session_started
 * @property {SessionResumedMessage} session_resumed
 * @property {QueueResumedMessage} queue_resumed
 * @property {LegStateMessage} leg_state
 * @property {MediaRestartMessage} media_restart
 * @property {CallbackAnsweredMessage} callback_answered
 * @property {AnswerMessage} answer
 * @property {MediaStateMessage} media_state
 * @property {SessionEndedMessage} session_ended
 * @property {FeedbackRecordedMessage} feedback_recorded
 * @property {SupervisorSnapshotMessage} supervisor_snapshot
 * @property {MonitorStartedMessage} monitor_started
 * @property {MonitorStoppedMessage} monitor_stopped
 * @property {ErrorMessage} error
 */

/**
 * @typedef {object} Hello
 * @property {Role} role
 * @property {string} [username] staff only
 * @property {string} [password] staff only
 * @property {string} [callback_token] customers following a call-back link
 */

/** Close codes with a meaning for the pages (docs/protocol.md, "Close codes"). */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABUSE: 4008,
  REPLACED: 4010,
  RESUMED: 4011,
});

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
