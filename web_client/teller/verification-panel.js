/**
 * The teller's identity check: start a liveness and face-match attempt on the customer in the call,
 * follow each asked action live, and read the server's verdict with every score and reason. The
 * teller never decides here: the server does, from the video it received.
 *
 * Hooks: `verification-card`, `verification-customer-id` (needed until a business flow identified
 * the customer), `start-verification`, `stop-verification`, `verification-phase[data-phase]`,
 * `challenge-progress` (one `li` per action: `data-index`, `data-action`, `data-status` =
 * `asked`|`passed`|`retry`|`failed`), `verification-result[data-outcome]` (`pass`|`review`|`fail`),
 * `verification-refused[data-reason]`.
 *
 * @module teller/verification-panel
 */

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */

const ACTION_TEXT = /** @type {Record<string, string>} */ ({
  blink: 'Blink',
  open_mouth: 'Open mouth',
  turn_left: 'Turn left',
  turn_right: 'Turn right',
  nod: 'Nod',
});

const PHASE_TEXT = /** @type {Record<string, string>} */ ({
  quality: 'Checking the picture (one face, close enough, light)…',
  baseline: 'Measuring the customer’s resting face…',
  challenge: 'Asking for actions…',
  deciding: 'Deciding…',
  done: 'Done.',
});

const OUTCOME_TEXT = /** @type {Record<string, string>} */ ({
  pass: 'Verified: live and matches the reference photo.',
  review: 'Needs your review: live, but the face match is not conclusive.',
  fail: 'Not verified.',
});

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class VerificationPanel {
  /** @param {Element} container where the card goes */
  constructor(container) {
    this.root = element('section', 'card verification-card');
    this.root.dataset.testid = 'verification-card';
    this.root.hidden = true;
    const heading = element('h2', '', 'Identity check');
    const label = element('label', 'field-label', 'Customer ID');
    this.customerId = /** @type {HTMLInputElement} */ (element('input'));
    this.customerId.dataset.testid = 'verification-customer-id';
    this.customerId.autocomplete = 'off';
    this.customerId.maxLength = 64;
    this.customerId.id = 'verification-customer-id';
    label.htmlFor = this.customerId.id;
    this.start = /** @type {HTMLButtonElement} */ (element('button', 'button', 'Start identity check'));
    this.start.type = 'button';
    this.start.dataset.testid = 'start-verification';
    this.stop = /** @type {HTMLButtonElement} */ (element('button', 'button secondary', 'Stop'));
    this.stop.type = 'button';
    this.stop.dataset.testid = 'stop-verification';
    this.stop.disabled = true;
    const buttons = element('div', 'button-row');
    buttons.append(this.start, this.stop);
    this.phase = element('p', 'verification-phase');
    this.phase.dataset.testid = 'verification-phase';
    this.progress = element('ol', 'challenge-progress');
    this.progress.dataset.testid = 'challenge-progress';
    this.refused = element('p', 'notice error');
    this.refused.dataset.testid = 'verification-refused';
    this.refused.hidden = true;
    this.result = element('div', 'verification-result');
    this.result.dataset.testid = 'verification-result';
    this.result.hidden = true;
    this.root.append(heading, label, this.customerId, buttons, this.phase, this.progress, this.refused, this.result);
    container.append(this.root);
    /** @type {SignalingClient|null} */
    this.client = null;
    /** @type {string|null} */
    this.sessionId = null;
    /** @type {string|null} */
    this.attempt = null;
    this.start.addEventListener('click', () => this.requestStart());
    this.stop.addEventListener('click', () => this.requestStop());
  }

  /** @param {SignalingClient} client */
  attach(client) {
    this.client = client;
    client.on('session_started', (m) => this.opened(m.session_id));
    client.on('session_ended', (m) => {
      if (m.session_id === this.sessionId) this.closed();
    });
    client.on('verification_started', (m) => this.started(m));
    client.on('verification_phase', (m) => this.phased(m));
    client.on('verification_prompt', (m) => this.asked(m));
    client.on('verification_progress', (m) => this.judged(m));
    client.on('verification_result', (m) => this.decided(m));
    client.on('verification_refused', (m) => this.refusedWith(m));
    client.on('error', (m) => {
      if (m.ref_type === 'verification_start' || m.ref_type === 'verification_stop') {
        this.showRefusal(m.code, m.message);
      }
    });
  }

  /** @param {string} sessionId */
  opened(sessionId) {
    this.sessionId = sessionId;
    this.attempt = null;
    this.root.hidden = false;
    this.progress.replaceChildren();
    this.result.hidden = true;
    this.refused.hidden = true;
    this.setPhase('', 'Not started.');
    this.setRunning(false);
  }

  closed() {
    this.sessionId = null;
    this.attempt = null;
    this.root.hidden = true;
    this.customerId.value = '';
  }

  requestStart() {
    if (!this.client || !this.sessionId) return;
    const customerId = this.customerId.value.trim();
    /** @type {Record<string, string>} */
    const message = {type: 'verification_start', session_id: this.sessionId};
    if (customerId) message.customer_id = customerId;
    this.refused.hidden = true;
    this.start.disabled = true;
    this.client.send(message);
  }

  requestStop() {
    if (!this.client || !this.sessionId) return;
    this.client.send({type: 'verification_stop', session_id: this.sessionId});
  }

  /** @param {boolean} running */
  setRunning(running) {
    this.start.disabled = running;
    this.stop.disabled = !running;
    this.root.dataset.running = String(running);
  }

  /**
   * @param {string} phase
   * @param {string} text
   */
  setPhase(phase, text) {
    this.phase.dataset.phase = phase;
    this.phase.textContent = text;
  }

  /** @param {{session_id: string, attempt: string, challenges: number}} m */
  started(m) {
    if (m.session_id !== this.sessionId) return;
    this.attempt = m.attempt;
    this.progress.replaceChildren();
    this.result.hidden = true;
    this.result.replaceChildren();
    delete this.result.dataset.outcome;
    this.setRunning(true);
    this.setPhase('quality', PHASE_TEXT.quality);
  }

  /** @param {{attempt: string, phase: string}} m */
  phased(m) {
    if (m.attempt !== this.attempt) return;
    this.setPhase(m.phase, PHASE_TEXT[m.phase] ?? m.phase);
  }

  /**
   * @param {number} index
   * @param {string} action
   * @returns {HTMLElement}
   */
  item(index, action) {
    let li = /** @type {HTMLElement|null} */ (this.progress.querySelector(`li[data-index="${index}"]`));
    if (!li) {
      li = element('li', 'challenge');
      li.dataset.index = String(index);
      this.progress.append(li);
    }
    li.dataset.action = action;
    return li;
  }

  /** @param {{attempt: string, index: number, action: string, attempt_try: number}} m */
  asked(m) {
    if (m.attempt !== this.attempt) return;
    const li = this.item(m.index, m.action);
    li.dataset.status = 'asked';
    li.textContent = `${ACTION_TEXT[m.action] ?? m.action}: asked${m.attempt_try > 1 ? ' again' : ''}`;
  }

  /** @param {{attempt: string, index: number, action: string, status: string, result: string}} m */
  judged(m) {
    if (m.attempt !== this.attempt) return;
    const li = this.item(m.index, m.action);
    li.dataset.status = m.status;
    li.textContent = `${ACTION_TEXT[m.action] ?? m.action}: ${m.status} (${m.result.replaceAll('_', ' ')})`;
  }

  /** @param {{attempt: string, outcome?: string, detail?: any}} m */
  decided(m) {
    if (m.attempt !== this.attempt || !m.outcome) return;
    this.setRunning(false);
    this.setPhase('done', PHASE_TEXT.done);
    const detail = m.detail ?? {};
    const scores = detail.scores ?? {};
    this.result.dataset.outcome = m.outcome;
    const summary = element('p', `outcome ${m.outcome}`, OUTCOME_TEXT[m.outcome] ?? m.outcome);
    const facts = element('dl', 'facts');
    /** @type {[string, unknown][]} */
    const rows = [
      ['Face match distance', scores.match_distance ?? '—'],
      ['Match verdict', scores.match_verdict ?? '—'],
      ['Keyframes', detail.keyframes ?? 0],
      ['Frames analysed', scores.frames_analysed ?? 0],
      ['Seconds', detail.seconds ?? '—'],
    ];
    for (const [name, value] of rows) {
      facts.append(element('dt', '', name), element('dd', '', String(value)));
    }
    const reasons = element('ul', 'reasons');
    for (const reason of detail.reasons ?? []) {
      const li = element('li', '', reason.text);
      li.dataset.code = reason.code;
      reasons.append(li);
    }
    this.result.replaceChildren(summary, facts, reasons);
    this.result.hidden = false;
  }

  /** @param {{session_id: string, reason: string, message: string, until?: number}} m */
  refusedWith(m) {
    if (m.session_id !== this.sessionId) return;
    const until = m.until ? ` (until ${new Date(m.until * 1000).toLocaleTimeString()})` : '';
    this.showRefusal(m.reason, m.message + until);
    if (m.reason !== 'already_running') this.setRunning(false);
  }

  /**
   * @param {string} reason
   * @param {string} text
   */
  showRefusal(reason, text) {
    this.refused.dataset.reason = reason;
    this.refused.textContent = text;
    this.refused.hidden = false;
    if (this.root.dataset.running !== 'true') this.start.disabled = false;
  }
}
