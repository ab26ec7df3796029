/**
 * The tablet's view of one card review (docs/flows.md, "card_review"): the steps, what to do now,
 * the customer's consent, the ID number (sent by itself from the form, retyped only when refused),
 * the masked card the teller reviews checked against the card in hand, and the outcome with the
 * teller's reason code. The server decides: each part shows only while the last `flow_state`
 * expects it.
 *
 * Hooks (`data-testid`): `review-panel` (`data-status`: the flow's status, `data-step`),
 * `review-steps` (items with `data-step`, `data-state`), `review-text` (`data-code`: the last
 * flow message shown), `flow-error` (`data-code`), `consent`, `consent-recording`,
 * `consent-biometric`, `consent-submit`, `identify`, `id-number`, `id-submit`, `review-card`
 * (`data-card`: the masked card under review, `data-matches`: `true|false` against the card typed),
 * `review-outcome` (`data-outcome`: `approved|rejected|ended`, `data-reason`: the teller's code).
 *
 * @module field/review-panel
 */

import {byId, byTestId} from '/shared/dom.js';
import {maskCard} from '/field/card-number.js';
import {known, serverErrorText, t} from '/field/strings.js';

/** @typedef {import('/shared/flow-ui.js').FlowStateMessage} FlowStateMessage */
/** @typedef {import('/shared/flow-ui.js').FlowMessage} FlowMessage */
/** @typedef {import('/shared/flow-ui.js').FlowSender} FlowSender */

/**
 * @typedef {object} ReviewSubject what the officer entered for this review (kept on the tablet)
 * @property {string} name
 * @property {string} residentId
 * @property {string} card the card's digits
 */

/** Refusals of `identify` after which the ID number is typed again. */
const RETYPE_ID = new Set(['invalid_resident_id', 'customer_not_found']);
/** Flow statuses that end a review without a decision on the card. */
const UNDECIDED = new Set(['declined', 'failed', 'cancelled', 'abandoned']);
/** Flow outcomes and what the tablet shows. */
const OUTCOMES = /** @type {Record<string, 'approved'|'rejected'>} */ ({
  card_approved: 'approved',
  card_rejected: 'rejected',
});

export class ReviewPanel {
  /** @param {FlowSender|null} sender set once signed in, see {@link ReviewPanel.attach} */
  constructor(sender = null) {
    /** @private */ this.sender = sender;
    /** @private */ this.ui = {
      root: byTestId('review-panel', HTMLElement),
      who: byId('review-who', HTMLElement),
      steps: byTestId('review-steps', HTMLOListElement),
      text: byTestId('review-text', HTMLElement),
      error: byTestId('flow-error', HTMLElement),
      consent: byTestId('consent', HTMLFieldSetElement),
      recording: byTestId('consent-recording', HTMLInputElement),
      biometric: byTestId('consent-biometric', HTMLInputElement),
      consentSubmit: byTestId('consent-submit', HTMLButtonElement),
      identify: byTestId('identify', HTMLElement),
      idNumber: byTestId('id-number', HTMLInputElement),
      idSubmit: byTestId('id-submit', HTMLButtonElement),
      card: byTestId('review-card', HTMLElement),
      outcome: byTestId('review-outcome', HTMLElement),
      outcomeTitle: byId('outcome-title', HTMLElement),
      outcomeDetail: byId('outcome-detail', HTMLElement),
    };
    /** @private @type {ReviewSubject|null} */ this.subject = null;
    /** @private @type {string[]} */ this.expected = [];
    /** @private the entered ID number was sent for this session */
    this.idSent = false;
    /** @private the ID number must be typed again (a refusal) */
    this.retype = false;
    this.ui.consentSubmit.addEventListener('click', () => this.sendConsent());
    this.ui.idSubmit.addEventListener('click', () => this.sendId(this.ui.idNumber.value));
  }

  /** @param {FlowSender} sender the flow inputs of the signed-in client */
  attach(sender) {
    this.sender = sender;
  }

  /**
   * A review is about to start for `subject` (before the call).
   * @param {ReviewSubject} subject
   */
  prepare(subject) {
    this.subject = subject;
    this.ui.who.textContent = t('review.who', {name: subject.name, card: maskCard(subject.card)});
  }

  // --- FlowView -------------------------------------------------------------------------------------

  /** A session started: a fresh review. */
  reset() {
    const {ui} = this;
    this.expected = [];
    this.idSent = false;
    this.retype = false;
    ui.root.hidden = false;
    ui.root.dataset.status = 'in_progress';
    ui.root.dataset.step = '';
    ui.steps.replaceChildren();
    this.setText('', '');
    this.showError('', '');
    ui.recording.checked = false;
    ui.biometric.checked = false;
    ui.idNumber.value = '';
    ui.card.hidden = true;
    ui.card.dataset.card = '';
    ui.card.dataset.matches = '';
    ui.outcome.hidden = true;
    ui.outcome.dataset.outcome = '';
    ui.outcome.dataset.reason = '';
    this.sync();
  }

  /** The call ended: a review still running stays undecided (the card waits for review). */
  ended() {
    const {ui} = this;
    this.expected = [];
    if (!ui.outcome.dataset.outcome) {
      this.showOutcome('ended', '', t('outcome.not_finished'));
    }
    this.sync();
  }

  /** @param {FlowStateMessage} state */
  showState(state) {
    const {ui} = this;
    this.expected = state.expected;
    ui.root.dataset.status = state.status;
    ui.root.dataset.step = state.step ?? '';
    ui.steps.replaceChildren(...state.steps.map(({step, state: itemState}) => {
      const li = document.createElement('li');
      li.dataset.step = step;
      li.dataset.state = itemState;
      const name = document.createElement('span');
      name.className = 'step-name';
      name.textContent = known(`step.${step}`) ?? step;
      const mark = document.createElement('span');
      mark.className = 'step-state';
      mark.textContent = known(`step_state.${itemState}`) ?? itemState;
      li.append(name, mark);
      return li;
    }));
    if (UNDECIDED.has(state.status) && !ui.outcome.dataset.outcome) {
      this.showOutcome('ended', '', t('outcome.not_finished'));
    }
    if (state.expected.includes('identify') && !this.idSent && !this.retype && this.subject) {
      this.sendId(this.subject.residentId);
    }
    this.sync();
  }

  /** @param {FlowMessage} message */
  showMessage(message) {
    const text = known(`flow.${message.code}`);
    if (text !== null) {
      this.setText(message.code, text);
    }
    if (message.code === 'customer_not_found' || message.code === 'invalid_resident_id') {
      this.askRetype(message.code);
    }
    if (message.code === 'wait_for_teller' && Array.isArray(message.data.cards)) {
      this.showCards(message.data.cards.filter((c) => typeof c === 'string'));
    }
    const outcome = OUTCOMES[message.code];
    if (outcome) {
      const reason = typeof message.data.reason === 'string' ? message.data.reason : '';
      if (typeof message.data.card === 'string') {
        this.showCards([message.data.card]);
      }
      const detail = reason ? t('outcome.reason', {reason: known(`reason.${reason}`) ?? reason}) : '';
      this.showOutcome(outcome, reason, detail);
    }
  }

  /**
   * A `flow_input` was refused (or the page's own check failed).
   * @param {string} code
   * @param {string} message
   */
  showError(code, message) {
    const {error} = this.ui;
    error.dataset.code = code;
    error.textContent = code ? serverErrorText(code, message) : '';
    error.hidden = !code;
    if (RETYPE_ID.has(code)) {
      this.askRetype(code);
    }
  }

  // --- internals ------------------------------------------------------------------------------------

  /**
   * @private
   * @param {string} code
   * @param {string} text
   */
  setText(code, text) {
    this.ui.text.dataset.code = code;
    this.ui.text.textContent = text;
  }

  /**
   * The ID number was refused: a refusal changes nothing, so the flow still expects one; type it.
   * @private @param {string} code
   */
  askRetype(code) {
    this.retype = true;
    if (!this.expected.includes('identify') && this.ui.root.dataset.step === 'identification') {
      this.expected = [...this.expected, 'identify'];
    }
    this.ui.idNumber.value = '';
    this.sync();
    if (code) {
      this.ui.idNumber.focus();
    }
  }

  /** @private */
  sendConsent() {
    const sent = this.sender?.send('consent', {
      recording: this.ui.recording.checked,
      biometric: this.ui.biometric.checked,
    });
    if (sent) {
      this.showError('', '');
      this.expected = this.expected.filter((kind) => kind !== 'consent');
      this.sync();
    }
  }

  /**
   * @private
   * @param {string} value an ID number as typed
   */
  sendId(value) {
    const residentId = value.replace(/\s+/g, '').toUpperCase();
    if (!residentId) {
      this.ui.idNumber.focus();
      return;
    }
    if (this.sender?.send('identify', {resident_id: residentId})) {
      this.idSent = true;
      this.retype = false;
      this.showError('', '');
      this.expected = this.expected.filter((kind) => kind !== 'identify');
      this.sync();
    }
  }

  /**
   * @private
   * @param {string[]} cards masked numbers under review
   */
  showCards(cards) {
    const {card} = this.ui;
    if (!cards.length) {
      return;
    }
    const entered = this.subject ? maskCard(this.subject.card) : '';
    const matches = cards.includes(entered);
    card.dataset.card = cards.join(' ');
    card.dataset.matches = String(matches);
    card.textContent = `${t('card.under_review', {card: cards.join('、')})} ` +
      (matches ? t('card.matches') : t('card.differs', {entered}));
    card.classList.toggle('warning', !matches);
    card.hidden = false;
  }

  /**
   * @private
   * @param {'approved'|'rejected'|'ended'} outcome
   * @param {string} reason the teller's code
   * @param {string} detail
   */
  showOutcome(outcome, reason, detail) {
    const {ui} = this;
    ui.outcome.dataset.outcome = outcome;
    ui.outcome.dataset.reason = reason;
    ui.outcomeTitle.textContent = t(`outcome.${outcome}`);
    ui.outcomeDetail.textContent = detail;
    ui.outcome.hidden = false;
  }

  /** @private Show the inputs the server expects now, and nothing else. */
  sync() {
    const {ui} = this;
    ui.consent.hidden = !this.expected.includes('consent');
    ui.identify.hidden = !(this.expected.includes('identify') && this.retype);
  }
}
