/**
 * The customer's part of a business flow (docs/flows.md), in the call sheet: the current text, and
 * the one part the server expects now — consent, ID number, PIN pad entered twice, new contact
 * details, or yes/no answers. The server decides what comes next: a part shows only while the last
 * `flow_state` lists its input kind in `expected`. Every text is in the page language, worded here
 * from the message's code and data (shared/error-texts.js), never the server's English.
 *
 * Texts go through a reading queue (customer/call-screen.js): a result ("Your new password is set")
 * is never replaced by the next text before it was shown for a readable moment. A refusal shows
 * once, beside the field it is about (`flow-error`).
 *
 * Hooks (`data-testid`): `flow-panel` (`data-status`, `data-step`, `data-part`: the part shown or
 * empty), `flow-text` (`data-code`, `data-kind`), `flow-text-ok` (dismisses a result),
 * `flow-error` (`data-code`), `consent-recording`, `consent-biometric`, `consent-submit`,
 * `id-number`, `id-submit`, `pin-pad` (`data-stage` `first`|`confirm`, `data-length`),
 * `pin-digit-0`…`pin-digit-9`, `pin-backspace` (clears the entry), `pin-submit`, `details-phone`,
 * `details-address`, `details-submit`, `flow-question` (`data-question-id`), `answer-yes`,
 * `answer-no`. The rating is asked after the call (customer/rating-card.js).
 *
 * The ID number, the PIN pad and the contact fields carry `data-sensitive`, so co-browsing masks
 * them. PIN digits live only in this module's variables until they are sent, never in an input's
 * value, the DOM or a log.
 *
 * @module customer/flow/flow-panel
 */

import {strings} from '/customer/strings.js';
import {errorText, flowMessageText} from '/shared/error-texts.js';
import {attachFlow, button, el} from '/shared/flow-ui.js';
import {ReadingQueue} from '/customer/call-screen.js';

/** @typedef {import('/shared/flow-ui.js').FlowStateMessage} FlowStateMessage */
/** @typedef {import('/shared/flow-ui.js').FlowMessage} FlowMessage */
/** @typedef {import('/customer/call-screen.js').StepLog} StepLog */
/** @typedef {import('/customer/call-screen.js').EntryKind} EntryKind */

const t = strings.t.bind(strings);
const PIN_LENGTH = 6;
/** Refusals after which the PIN is entered again from the start. */
const PIN_REFUSALS = new Set(['pin_format', 'pin_mismatch', 'pin_repeated', 'pin_sequence', 'pin_personal']);
/** Messages that report what happened: kept on screen for a readable moment, shown as results. */
const RESULTS = new Set(['verification_passed', 'verification_retry', 'identified', 'card_activated',
  'password_reset', 'details_updated', 'details_rejected', 'willingness_confirmed', 'rejected',
  'card_approved', 'card_rejected', 'action_failed', 'flow_finished', 'branch_instructions', 'answer_again']);
/** Messages whose words the part itself shows (a second copy in the text line would say it twice). */
const SHOWN_BY_PART = new Set(['question', 'final_confirmation', 'customer_not_found', 'rate_service',
  'enter_pin', 'enter_password', 'enter_resident_id', 'consent_request']);
/** The parts, in the order of the page, and the input kinds that show them. */
const PARTS = /** @type {const} */ (['consent', 'identify', 'secret_entered', 'details_entered', 'answer']);

export class CustomerFlowPanel {
  /**
   * @param {StepLog} log where texts shown are recorded
   * @param {{speak: (text: string) => void, changed: (part: string) => void}} hooks `speak` reads a
   *   text aloud (elderly mode), `changed` hears of a new part to act on (the sheet unfolds)
   */
  constructor(log, hooks) {
    /** @private */ this.hooks = hooks;
    this.root = el('section', {'class': 'flow-panel', 'data-testid': 'flow-panel', 'data-status': '',
      'data-step': '', 'data-part': '', 'aria-label': t('html.sheet_label')});
    /** @private @type {import('/shared/flow-ui.js').FlowSender|null} */ this.sender = null;
    /** @private @type {Set<string>} */ this.expected = new Set();
    /** @private */ this.business = '';
    /** @private */ this.questionId = '';
    /** @private */ this.pin = {first: '', current: ''};
    /** @private what the PIN is for: the masked card or account of `enter_pin`/`enter_password` */
    this.pinFor = '';
    /** @private */ this.part = '';
    this.build();
    /** @private */ this.queue = new ReadingQueue('flow', log, (reading) => this.showReading(reading));
  }

  /**
   * Listen to one signaling client (call once per client, before `connect()`).
   * @param {import('/shared/signaling.js').SignalingClient} client
   */
  attach(client) {
    this.sender = attachFlow(client, this);
    client.on('session_started', (message) => {
      this.business = message.business;
    });
    client.on('session_resumed', (message) => {
      this.business = message.business;
    });
  }

  /** @returns {string} the name of the step the customer has to act on, for the folded sheet */
  get stepName() {
    return this.part ? t(`step.${this.part}`) : t('step.none');
  }

  /** The session ended: nothing more to do here. */
  ended() {
    this.queue.clear();
    this.expected = new Set();
    this.render();
  }

  /** @private */
  build() {
    const ui = {
      text: el('p', {'class': 'flow-text', 'data-testid': 'flow-text', 'data-code': '', 'data-kind': '',
        'role': 'status', 'aria-live': 'polite'}),
      ok: button('flow-text-ok', t('flow.ok'), 'button secondary'),
      error: el('p', {'class': 'notice error', 'data-testid': 'flow-error', 'data-code': '', 'role': 'alert',
        'hidden': true}),
      recording: el('input', {'type': 'checkbox', 'id': 'consent-recording', 'data-testid': 'consent-recording'}),
      biometric: el('input', {'type': 'checkbox', 'id': 'consent-biometric', 'data-testid': 'consent-biometric'}),
      consentSubmit: button('consent-submit', t('flow.consent_submit')),
      idNumber: el('input', {'type': 'text', 'id': 'flow-id-number', 'data-testid': 'id-number',
        'data-sensitive': true, 'autocomplete': 'off', 'autocapitalize': 'characters', 'spellcheck': 'false',
        'maxlength': '18', 'inputmode': 'text'}),
      idSubmit: button('id-submit', t('flow.id_submit')),
      pinPad: el('div', {'class': 'pin-pad', 'data-testid': 'pin-pad', 'data-sensitive': true,
        'data-stage': 'first', 'data-length': '0', 'role': 'group', 'aria-label': t('flow.pin_pad')}),
      pinPrompt: el('p', {'class': 'pin-prompt'}),
      pinDots: el('p', {'class': 'pin-dots', 'aria-live': 'polite'}),
      pinSubmit: button('pin-submit', t('flow.pin_ok'), 'button pin-key'),
      phone: el('input', {'type': 'tel', 'id': 'flow-phone', 'data-testid': 'details-phone',
        'data-sensitive': true, 'maxlength': '20', 'autocomplete': 'off', 'inputmode': 'tel'}),
      phoneNow: el('p', {'class': 'hint'}),
      address: el('input', {'type': 'text', 'id': 'flow-address', 'data-testid': 'details-address',
        'data-sensitive': true, 'maxlength': '200', 'autocomplete': 'off'}),
      addressNow: el('p', {'class': 'hint'}),
      detailsSubmit: button('details-submit', t('flow.details_submit')),
      questionCount: el('p', {'class': 'flow-question-count'}),
      question: el('p', {'class': 'flow-question', 'data-testid': 'flow-question', 'data-question-id': ''}),
      yes: button('answer-yes', t('flow.yes'), 'button ok'),
      no: button('answer-no', t('flow.no'), 'button secondary'),
    };
    /** @private */ this.ui = ui;
    ui.ok.classList.add('flow-text-ok');
    ui.ok.hidden = true;
    const consent = el('form', {'class': 'flow-part', 'data-part': 'consent'},
      el('p', {'class': 'flow-lead', 'text': t('flow.consent_lead')}),
      el('label', {'class': 'check'}, ui.recording, el('span', {text: t('flow.consent_recording')})),
      el('label', {'class': 'check'}, ui.biometric, el('span', {text: t('flow.consent_biometric')})),
      ui.consentSubmit);
    const identify = el('div', {'class': 'flow-part', 'data-part': 'identify'},
      el('label', {'for': 'flow-id-number', 'text': t('flow.id_label')}), ui.idNumber, ui.idSubmit);
    const keys = el('div', {'class': 'pin-keys'});
    for (const digit of ['1', '2', '3', '4', '5', '6', '7', '8', '9']) {
      keys.append(this.digitKey(digit));
    }
    const clear = button('pin-backspace', t('flow.pin_clear'), 'button secondary pin-key');
    clear.addEventListener('click', () => this.clearPin());
    keys.append(clear, this.digitKey('0'), ui.pinSubmit);
    ui.pinPad.append(ui.pinPrompt, ui.pinDots, keys);
    const secret = el('div', {'class': 'flow-part', 'data-part': 'secret_entered'}, ui.pinPad);
    const details = el('div', {'class': 'flow-part', 'data-part': 'details_entered'},
      el('label', {'for': 'flow-phone', 'text': t('flow.phone_label')}), ui.phone, ui.phoneNow,
      el('label', {'for': 'flow-address', 'text': t('flow.address_label')}), ui.address, ui.addressNow,
      ui.detailsSubmit);
    const answer = el('div', {'class': 'flow-part', 'data-part': 'answer'},
      ui.questionCount, ui.question, el('div', {'class': 'actions'}, ui.yes, ui.no));
    /** @private */ this.parts = [consent, identify, secret, details, answer];
    this.root.append(el('div', {'class': 'flow-reading'}, ui.text, ui.ok), ui.error, ...this.parts);

    consent.addEventListener('submit', (event) => event.preventDefault());
    ui.consentSubmit.addEventListener('click', () => {
      this.send('consent', {recording: ui.recording.checked, biometric: ui.biometric.checked});
    });
    ui.idSubmit.addEventListener('click', () => {
      this.send('identify', {resident_id: ui.idNumber.value.replace(/\s+/g, '').toUpperCase()});
    });
    ui.pinSubmit.addEventListener('click', () => this.submitPin());
    ui.detailsSubmit.addEventListener('click', () => {
      const phone = ui.phone.value.trim();
      const address = ui.address.value.trim();
      this.send('details_entered', {phone: phone || null, address: address || null});
    });
    ui.yes.addEventListener('click', () => this.answer(true));
    ui.no.addEventListener('click', () => this.answer(false));
    ui.ok.addEventListener('click', () => this.queue.dismiss());
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
    this.queue?.clear();
    this.root.dataset.status = '';
    this.root.dataset.step = '';
    this.expected = new Set();
    this.questionId = '';
    this.pinFor = '';
    this.ui.idNumber.value = '';
    this.ui.phone.value = '';
    this.ui.address.value = '';
    this.ui.recording.checked = false;
    this.ui.biometric.checked = false;
    this.clearPin(true);
    this.setError('', '');
    this.render();
  }

  /** @param {FlowStateMessage} state */
  showState(state) {
    this.business = state.business;
    this.root.dataset.status = state.status;
    this.root.dataset.step = state.step ?? '';
    this.expected = new Set(state.expected);
    this.render();
  }

  /** @param {FlowMessage} message */
  showMessage(message) {
    const data = {...message.data, business: this.business, text: message.text};
    const text = flowMessageText('customer', message.code, strings.lang, data) ?? '';
    switch (message.code) {
      case 'question':
      case 'final_confirmation':
        this.questionId = message.code === 'question' ? String(message.data.question_id ?? '') : '';
        this.ui.question.textContent = text;
        this.ui.question.dataset.questionId = this.questionId;
        this.ui.questionCount.textContent = message.code === 'question' ?
          t('flow.question_of', {position: message.data.position ?? '', total: message.data.total ?? ''}) : '';
        this.hooks.speak(text);
        break;
      case 'customer_not_found': {
        const left = Number(message.data.attempts_left ?? 0);
        this.setError('customer_not_found', text + (left > 0 ? ` ${t('flow.attempts_left', {count: left})}` : ''));
        break;
      }
      case 'enter_pin':
      case 'enter_password':
        this.pinFor = message.code === 'enter_pin' ?
          t('flow.pin_for_card', {number: String(message.data.card ?? '')}) :
          t('flow.pin_for_account', {number: String(message.data.account ?? '')});
        this.clearPin(true);
        this.hooks.speak(this.ui.pinPrompt.textContent ?? '');
        break;
      case 'enter_details':
        this.ui.phoneNow.textContent = message.data.phone ? t('flow.current_contact', {value: message.data.phone}) : '';
        this.ui.addressNow.textContent = message.data.address ?
          t('flow.current_contact', {value: message.data.address}) : '';
        break;
      default:
        break;
    }
    if (!SHOWN_BY_PART.has(message.code) && text) {
      this.queue.push({code: message.code, text, kind: RESULTS.has(message.code) ? 'result' : 'info'});
    }
  }

  /**
   * A refusal of the last input: shown once, beside its part, in the page language (the server's
   * English text is not used).
   * @param {string} code
   * @param {string} [serverText]
   * @param {Record<string, unknown>} [params] `error.params`
   */
  showError(code, serverText = '', params = {}) {
    if (code === 'customer_not_found' && this.ui.error.dataset.code === code) {
      return; // the message with the tries left says it already
    }
    this.setError(code, code ? errorText(code, strings.lang, /** @type {Record<string, string>} */ (params)) : '');
  }

  /**
   * @private
   * @param {string} code
   * @param {string} text
   */
  setError(code, text) {
    this.ui.error.dataset.code = code;
    this.ui.error.textContent = text;
    this.ui.error.hidden = code === '';
    if (PIN_REFUSALS.has(code)) {
      this.clearPin(true);
    }
    if (code) {
      this.hooks.speak(text);
    }
  }

  /**
   * @private
   * @param {import('/customer/call-screen.js').Reading|null} reading
   */
  showReading(reading) {
    this.ui.text.textContent = reading?.text ?? '';
    this.ui.text.dataset.code = reading?.code ?? '';
    this.ui.text.dataset.kind = reading?.kind ?? '';
    this.ui.ok.hidden = reading?.kind !== 'result';
    if (reading) {
      this.hooks.speak(reading.text);
    }
    if (reading?.kind === 'result') {
      this.hooks.changed(this.part); // news: the sheet opens for it
    }
  }

  /** @private Show the part the server expects now. */
  render() {
    const answering = this.expected.has('question_answered') || this.expected.has('final_confirmation');
    let shown = '';
    for (const part of this.parts) {
      const kind = part.dataset.part ?? '';
      const visible = kind === 'answer' ? answering : this.expected.has(kind);
      part.hidden = !visible;
      if (visible && !shown) {
        shown = kind;
      }
    }
    if (shown !== this.part) {
      this.part = shown;
      this.root.dataset.part = shown;
      if (shown) {
        this.queue.retire(); // "please wait" is over: the part says what to do
        this.hooks.changed(shown);
      }
    }
  }

  /**
   * @private
   * @param {string} kind
   * @param {Record<string, string|number|boolean|null>} fields
   */
  send(kind, fields) {
    if (this.sender?.send(kind, fields)) {
      this.setError('', '');
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

  /** @private The first entry is kept; the second must match it (the server checks both). */
  submitPin() {
    if (this.pin.current.length !== PIN_LENGTH) {
      return;
    }
    if (!this.pin.first) {
      this.pin.first = this.pin.current;
      this.pin.current = '';
      this.renderPin();
      this.hooks.speak(t('flow.pin_confirm'));
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
    this.ui.pinPrompt.textContent = stage === 'first' ? `${this.pinFor}${t('flow.pin_first')}` :
      t('flow.pin_confirm');
    this.ui.pinDots.textContent = '●'.repeat(this.pin.current.length) + '○'.repeat(PIN_LENGTH - this.pin.current.length);
    this.ui.pinSubmit.disabled = this.pin.current.length !== PIN_LENGTH;
  }
}
