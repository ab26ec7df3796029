/**
 * What the customer's and the teller's business-flow panels share: building elements without HTML
 * strings (text only through `textContent`), and sending `flow_input` (docs/protocol.md, "Business
 * flows").
 *
 * @module shared/flow-ui
 */

/** @typedef {import('/shared/protocol.js').FlowStateMessage} FlowStateMessage */
/** @typedef {import('/shared/protocol.js').FlowMessage} FlowMessage */

/**
 * A new element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string|boolean>} [attributes] `text` sets textContent; `true` sets a bare
 *   attribute, `false` leaves it out
 * @param {...(Node|null)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') {
      element.textContent = String(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false) {
      element.setAttribute(name, value);
    }
  }
  for (const child of children) {
    if (child) {
      element.append(child);
    }
  }
  return element;
}

/**
 * A button with a test id.
 * @param {string} testId
 * @param {string} label
 * @param {string} [className]
 * @returns {HTMLButtonElement}
 */
export function button(testId, label, className = 'button') {
  return el('button', {'type': 'button', 'class': className, 'data-testid': testId, 'text': label});
}

/**
 * Sends the flow inputs of one session.
 */
export class FlowSender {
  /** @param {{send: (message: {type: string} & Record<string, unknown>) => boolean}} signaling */
  constructor(signaling) {
    /** @private */ this.signaling = signaling;
    /** @type {string|null} */ this.sessionId = null;
  }

  /**
   * Send one input of the current session's flow.
   * @param {string} kind
   * @param {Record<string, string|number|boolean|null>} fields
   * @returns {boolean} whether it was sent
   */
  send(kind, fields) {
    if (!this.sessionId) {
      return false;
    }
    return this.signaling.send({type: 'flow_input', session_id: this.sessionId, kind, fields});
  }
}

/**
 * @typedef {object} FlowView what a flow panel does with the traffic of its party's sessions
 * @property {() => void} reset a session started: forget the last one
 * @property {() => void} ended the session ended
 * @property {(state: FlowStateMessage) => void} showState
 * @property {(message: FlowMessage) => void} showMessage
 * @property {(code: string, text: string, params: Record<string, unknown>) => void} showError a
 *   `flow_input` was refused (`text`: the server's English message; `params`: `error.params`)
 */

/**
 * Feed one signaling client's flow traffic for the party's current session to `view` (call once
 * per client, before `connect()`).
 * @param {import('/shared/signaling.js').SignalingClient} client
 * @param {FlowView} view
 * @returns {FlowSender} to send the flow inputs of the current session
 */
export function attachFlow(client, view) {
  const sender = new FlowSender(client);
  client.on('session_started', (message) => {
    sender.sessionId = message.session_id;
    view.reset();
  });
  // Back in the same call on a new socket: the server sends the flow's state and step again.
  client.on('session_resumed', (message) => {
    sender.sessionId = message.session_id;
    view.reset();
  });
  client.on('session_ended', (message) => {
    if (message.session_id === sender.sessionId) {
      sender.sessionId = null;
      view.ended();
    }
  });
  const on = /** @type {(type: string, handler: (message: any) => void) => void} */ (client.on.bind(client));
  on('flow_state', (/** @type {FlowStateMessage} */ message) => {
    if (message.session_id === sender.sessionId) {
      view.showState(message);
    }
  });
  on('flow_message', (/** @type {FlowMessage} */ message) => {
    if (message.session_id === sender.sessionId) {
      view.showMessage(message);
    }
  });
  client.on('error', (message) => {
    if (message.ref_type === 'flow_input') {
      view.showError(message.code, message.message, message.params ?? {});
    }
  });
  return sender;
}
