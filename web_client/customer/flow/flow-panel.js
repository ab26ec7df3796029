/**
 * The customer's part of a business flow (docs/flows.md): consent, ID number, PIN pad, new contact
 * details, yes/no answers, and the rating at the end. The server decides what comes next: each part
 * is shown only while the last `flow_state` lists its input kind in `expected`.
 *
 * Hooks (`data-testid`): `flow-panel` (`data-status`, `data-step`), `flow-text` (`data-code` of the
 * last message), `flow-error` (`data-code`), `consent-recording`, `consent-biometric`,
 * `consent-submit`, `id-number`, `id-submit`, `pin-pad` (`data-stage` `first`|`confirm`,
 * `data-length`), `pin-digit-0`…`pin-digit-9`, `pin-backspace` (clears the entry), `pin-submit`, `details-phone`,
 * `details-address`, `details-submit`, `flow-question` (`data-question-id`), `answer-yes`,
 * `answer-no`, `rating` (`data-state` `open`|`sent`), `rating-1`…`rating-5`, `rating-comment`,
 * `rating-submit`.
 *
 * The ID number, the PIN pad and the contact fields carry `data-sensitive`, so co-browsing masks
 * them. PIN digits live only in this module's variables until they are sent, never in an input's
 * value, the DOM or a log.
 *
 * @module customer/flow/flow-panel
 */

import {attachFlow, button, el} from '/shared/flow-ui.js';

/** @typedef {import('/shared/flow-ui.js').FlowStateMessage} FlowStateMessage */
/** @typedef {import('/shared/flow-ui.js').FlowMessage} FlowMessage */

const PIN_LENGTH = 6;
/** Refusals after which the PIN is entered again from the start. */
const PIN_REFUSALS = new Set(['pin_format', 'pin_mismatch', 'pin_repeated', 'pin_sequence', 'pin_personal']);

export class CustomerFlowPanel {
  /**
   * @param {HTMLElement} root the empty `flow-panel` section of the page
   */
  constructor(root) {
    /** @private */ this.root = root;
    /** @private @type {import('/shared/flow-ui.js').FlowSender|null} */ this.sender = null;
    /** @private @type {Set<string>} */ this.expected = new Set();
    /** @private */ this.questionId = '';
    /** @private */ this.score = 0;
    /** @private */ this.pin = {first: '', current: ''};
    this.build();
  }

  /**
   * Listen to one signaling client (call once per client, before `connect()`).
   * @param {import('/shared/signaling.js').SignalingClient} client
   */
  attach(client) {
    this.sender = attachFlow(client, this);
  }

  /** The session ended: nothing more to do here. */
  ended() {
    this.root.hidden = true;
  }

  /** @private */
  build() {
    const ui = {
      text: el('p', {'class': 'flow-text', 'data-testid': 'flow-text', 'data-code': '', 'aria-live': 'polite'}),
      error: el('p', {'class': 'notice error', 'data-testid': 'flow-error', 'data-code': '', 'role': 'alert',
        'hidden': true}),
      recording: el('input', {'type': 'checkbox', 'id': 'consent-recording', 'data-testid': 'consent-recording'}),
      biometric: el('input', {'type': 'checkbox', 'id': 'consent-biometric', 'data-testid': 'consent-biometric'}),
      recordingText: el('span', {text: 'I agree that this session is recorded.'}),
      biometricText: el('span', {text: 'I agree that my face is checked against my ID photo.'}),
      consentSubmit: button('consent-submit', 'Continue'),
      idNumber: el('input', {'type': 'text', 'id': 'flow-id-number', 'data-testid': 'id-number',
        'data-sensitive': true, 'autocomplete': 'off', 'autocapitalize': 'characters', 'spellcheck': 'false',
        'maxlength': '18', 'inputmode': 'text'}),
      idSubmit: button('id-submit', 'Confirm'),
      pinPad: el('div', {'class': 'pin-pad', 'data-testid': 'pin-pad', 'data-sensitive': true,
        'data-stage': 'first', 'data-length': '0', 'role': 'group', 'aria-label': 'PIN pad'}),
      pinPrompt: el('p', {'class': 'pin-prompt'}),
      pinDots: el('p', {'class': 'pin-dots', 'aria-live': 'polite'}),
      pinSubmit: button('pin-submit', 'OK', 'button pin-key'),
      phone: el('input', {'type': 'tel', 'id': 'flow-phone', 'data-testid': 'details-phone',
        'data-sensitive': true, 'maxlength': '20', 'autocomplete': 'off'}),
      address: el('input', {'type': 'text', 'id': 'flow-address', 'data-testid': 'details-address',
        'data-sensitive': true, 'maxlength': '200', 'autocomplete': 'off'}),
      detailsSubmit: button('details-submit', 'Send'),
      question: el('p', {'class': 'flow-question', 'data-testid': 'flow-question', 'data-question-id': ''}),
      yes: button('answer-yes', 'Yes', 'button ok'),
      no: button('answer-no', 'No', 'button secondary'),
      rating: el('div', {'class': 'rating', 'data-testid': 'rating', 'data-state': 'open'}),
      ratingButtons: /** @type {HTMLButtonElement[]} */ ([]),
      comment: el('textarea', {'data-testid': 'rating-comment', 'maxlength': '500', 'rows': '2',
        'aria-label': 'Comment (optional)'}),
      ratingSubmit: button('rating-submit', 'Send rating'),
    };
    this.ui = ui;
    const consent = el('form', {'class': 'flow-part', 'data-part': 'consent'},
      el('label', {'class': 'check'}, ui.recording, ui.recordingText),
      el('label', {'class': 'check'}, ui.biometric, ui.biometricText),
      ui.consentSubmit);
    const identify = el('div', {'class': 'flow-part', 'data-part': 'identify'},
      el('label', {'for': 'flow-id-number', 'text': 'Resident ID number'}), ui.idNumber, ui.idSubmit);
    const keys = el('div', {'class': 'pin-keys'});
    for (const digit of ['1', '2', '3', '4', '5', '6', '7', '8', '9']) {
      keys.append(this.digitKey(digit));
    }
    const clear = button('pin-backspace', '⌫', 'button secondary pin-key');
    clear.setAttribute('aria-label', 'Clear');
    clear.addEventListener('click', () => this.clearPin());
    keys.append(clear, this.digitKey('0'), ui.pinSubmit);
    ui.pinPad.append(ui.pinPrompt, ui.pinDots, keys);
    const secret = el('div', {'class': 'flow-part', 'data-part': 'secret_entered'}, ui.pinPad);
    const details = el('div', {'class': 'flow-part', 'data-part': 'details_entered'},
      el('label', {'for': 'flow-phone', 'text': 'New mobile number'}), ui.phone,
      el('label', {'for': 'flow-address', 'text': 'New address'}), ui.address, ui.detailsSubmit);
    const answer = el('div', {'class': 'flow-part', 'data-part': 'answer'},
      ui.question, el('div', {'class': 'actions'}, ui.yes, ui.no));
    for (let score = 1; score <= 5; score += 1) {
      const star = button(`rating-${score}`, String(score), 'button secondary rating-score');
      star.setAttribute('aria-pressed', 'false');
      star.addEventListener('click', () => this.choose(score));
      ui.ratingButtons.push(star);
    }
    ui.rating.append(el('div', {'class': 'rating-scores'}, ...ui.ratingButtons), ui.comment, ui.ratingSubmit);
    const rated = el('div', {'class': 'flow-part', 'data-part': 'rated'}, ui.rating);
    /** @private */ this.parts = [consent, identify, secret, details, answer, rated];
    this.root.append(ui.text, ui.error, ...this.parts);

    consent.addEventListener('submit', (event) => event.preventDefault());
    ui.consentSubmit.addEventListener('click', () => {
      this.send('consent', {recording: ui.recording.checked, biometric: ui.biometric.checked});
    });
    ui.idSubmit.addEventListener('click', () => {
      this.send('identify', {resident_id: ui.idNumber.value.trim().toUpperCase()});
    });
    ui.pinSubmit.addEventListener('click', () => this.submitPin());
    ui.detailsSubmit.addEventListener('click', () => {
      const phone = ui.phone.value.trim();
      const address = ui.address.value.trim();
      this.send('details_entered', {phone: phone || null, address: address || null});
    });
    ui.yes.addEventListener('click', () => this.answer(true));
    ui.no.addEventListener('click', () => this.answer(false));
    ui.ratingSubmit.addEventListener('click', () => {
      if (this.score) {
        const comment = ui.comment.value.trim();
        this.send('rated', {score: this.score, comment: comment || null});
      }
    });
    this.reset();
  }

  /** @private @param {string} digit */
  digitKey(digit) {
    const key = button(`pin-digit-${digit}`, digit, 'button secondary pin-key');
    key.addEventListener('click', () => {
      if (this.pin.current.length < PIN_LENGTH) {
        this.pin.current += digit;
        this.renderPin();
      }
    });
    return key;
  }

  /** Forget everything of the last session. */
  reset() {
    this.root.hidden = true;
    this.root.dataset.status = '';
    this.root.dataset.step = '';
    this.expected = new Set();
    this.questionId = '';
    this.ui.idNumber.value = '';
    this.ui.phone.value = '';
    this.ui.address.value = '';
    this.ui.recording.checked = false;
    this.ui.biometric.checked = false;
    this.ui.rating.dataset.state = 'open';
    this.choose(0);
    this.clearPin(true);
    this.showError('', '');
    this.render();
  }

  /** @param {FlowStateMessage} state */
  showState(state) {
    this.root.hidden = false;
    this.root.dataset.status = state.status;
    this.root.dataset.step = state.step ?? '';
    this.expected = new Set(state.expected);
    this.render();
  }

  /** @param {FlowMessage} message */
  showMessage(message) {
    this.root.hidden = false;
    this.ui.text.textContent = message.text;
    this.ui.text.dataset.code = message.code;
    switch (message.code) {
      case 'question':
      case 'final_confirmation':
        this.questionId = message.code === 'question' ? String(message.data.question_id ?? '') : '';
        this.ui.question.textContent = message.text;
        this.ui.question.dataset.questionId = this.questionId;
        break;
      case 'enter_pin':
      case 'enter_password':
        this.clearPin(true);
        break;
      default:
        break;
    }
    this.showError('', '');
  }

  /**
   * @param {string} code
   * @param {string} text
   */
  showError(code, text) {
    this.ui.error.dataset.code = code;
    this.ui.error.textContent = text;
    this.ui.error.hidden = code === '';
    if (PIN_REFUSALS.has(code)) {
      this.clearPin(true);
    }
  }

  /** @private Show the parts the server expects now. */
  render() {
    const answering = this.expected.has('question_answered') || this.expected.has('final_confirmation');
    for (const part of this.parts) {
      const kind = part.dataset.part ?? '';
      part.hidden = kind === 'answer' ? !answering : !this.expected.has(kind);
    }
    if (this.expected.has('rated')) {
      this.ui.rating.dataset.state = 'open';
    }
  }

  /**
   * @private
   * @param {string} kind
   * @param {Record<string, string|number|boolean|null>} fields
   */
  send(kind, fields) {
    if (this.sender?.send(kind, fields)) {
      this.showError('', '');
      if (kind === 'rated') {
        this.ui.rating.dataset.state = 'sent';
      }
    }
  }

  /** @private @param {boolean} yes */
  answer(yes) {
    if (this.expected.has('final_confirmation')) {
      this.send('final_confirmation', {confirm: yes});
    } else if (this.questionId) {
      this.send('question_answered', {question_id: this.questionId, answer: yes});
    }
  }

  /** @private @param {number} score */
  choose(score) {
    this.score = score;
    for (const [index, star] of this.ui.ratingButtons.entries()) {
      star.setAttribute('aria-pressed', String(index + 1 === score));
    }
    this.ui.ratingSubmit.disabled = score === 0;
  }

  /** @private The first entry is kept; the second must match it (the server checks both). */
  submitPin() {
    if (this.pin.current.length !== PIN_LENGTH) {
      return;
    }
    if (!this.pin.first) {
      this.pin.first = this.pin.current;
      this.pin.current = '';
      this.renderPin();
      return;
    }
    const secret = this.pin.first;
    const confirmation = this.pin.current;
    this.clearPin(true);
    this.send('secret_entered', {secret, confirmation});
  }

  /**
   * @private
   * @param {boolean} [all] also forget the first entry
   */
  clearPin(all = false) {
    this.pin.current = '';
    if (all) {
      this.pin.first = '';
    }
    this.renderPin();
  }

  /** @private */
  renderPin() {
    const stage = this.pin.first ? 'confirm' : 'first';
    this.ui.pinPad.dataset.stage = stage;
    this.ui.pinPad.dataset.length = String(this.pin.current.length);
    this.ui.pinPrompt.textContent = stage === 'first' ? 'Enter a new 6-digit PIN' : 'Enter the same PIN again';
    this.ui.pinDots.textContent = '●'.repeat(this.pin.current.length) + '○'.repeat(PIN_LENGTH - this.pin.current.length);
    this.ui.pinSubmit.disabled = this.pin.current.length !== PIN_LENGTH;
  }
}
