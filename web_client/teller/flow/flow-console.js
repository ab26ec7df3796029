/**
 * The teller's part of a business flow (docs/flows.md): the customer's profile, the checklist, the
 * business action, the willingness script and the wrap-up code. The server decides: a control is
 * enabled only while the last `flow_state` lists its input kind in `expected`.
 *
 * Hooks (`data-testid`): `flow-console` (`data-business`, `data-status`, `data-step`), `flow-text`
 * (`data-code`), `flow-error` (`data-code`), `customer-profile` (`data-customer-id`), `flow-steps`
 * (items with `data-step`, `data-state`), `lookup-id`, `lookup-submit`, `flow-target` (the card,
 * account or application the action is about), `flow-reason`, `flow-reason-code`, `action-confirm`,
 * `action-reject` (`data-kind`: the input each sends), `script-question` (`data-question-id`,
 * `data-answer` the customer's tap), `answer-confirm`, `answer-dispute`, `flow-cancel`,
 * `flow-wrapup-code`, `flow-wrapup-submit`.
 *
 * @module teller/flow/flow-console
 */

import {attachFlow, button, el} from '/shared/flow-ui.js';

/** @typedef {import('/shared/flow-ui.js').FlowStateMessage} FlowStateMessage */
/** @typedef {import('/shared/flow-ui.js').FlowMessage} FlowMessage */
/** @typedef {Record<string, string|number|boolean|null>} Fields */

/**
 * What `action-confirm` and `action-reject` send at each point, first match wins.
 * @type {{kind: string, confirm?: (c: TellerFlowConsole) => Fields, reject?: (c: TellerFlowConsole) => Fields}[]}
 */
const ACTIONS = [
  // A `review` verification is resolved in the identity check panel, beside the reference photo
  // (`verification_resolve`); the flow refuses `review_resolved` sent from here.
  {kind: 'card_confirmed', confirm: (c) => ({card_id: c.target()})},
  {kind: 'account_confirmed', confirm: (c) => ({account_id: c.target()})},
  {
    kind: 'details_reviewed',
    confirm: () => ({approve: true}),
    reject: (c) => ({approve: false, reason: c.reason()}),
  },
  {kind: 'application_chosen', confirm: (c) => ({application_id: c.target()})},
  {
    kind: 'card_reviewed',
    confirm: (c) => ({card_id: c.target(), approve: true, reason: 'identity_confirmed'}),
    reject: (c) => ({card_id: c.target(), approve: false, reason: c.reasonCode()}),
  },
  {kind: 'willingness_rejected', reject: (c) => ({reason: c.reason()})},
];

/** Step names for the checklist (the customer page may be in another language; these are staff's). */
const STEP_LABELS = /** @type {Record<string, string>} */ ({
  consent: 'Consent',
  identification: 'Identification',
  verification: 'Verification',
  confirm_card: 'Confirm the card',
  set_pin: 'Customer sets the PIN',
  confirm_account: 'Confirm the account',
  set_password: 'Customer sets the password',
  enter_details: 'Customer enters details',
  review_details: 'Review the details',
  select_application: 'Choose the application',
  questions: 'Willingness questions',
  final_confirmation: 'Final confirmation',
  review_card: 'Review the card',
});

const WRAP_UP_CODES = ['resolved', 'follow_up', 'referred_to_branch', 'customer_declined',
  'verification_failed', 'customer_disconnected', 'technical_problem', 'other'];

export class TellerFlowConsole {
  /** @param {HTMLElement} root the empty `flow-console` section of the page */
  constructor(root) {
    /** @private */ this.root = root;
    /** @private @type {import('/shared/flow-ui.js').FlowSender|null} */ this.sender = null;
    /** @private @type {Set<string>} */ this.expected = new Set();
    /** @private */ this.questionId = '';
    this.ui = {
      text: el('p', {'class': 'flow-text', 'data-testid': 'flow-text', 'data-code': '', 'aria-live': 'polite'}),
      error: el('p', {'class': 'notice error', 'data-testid': 'flow-error', 'data-code': '', 'role': 'alert',
        'hidden': true}),
      profile: el('dl', {'class': 'facts', 'data-testid': 'customer-profile', 'data-customer-id': ''}),
      steps: el('ol', {'class': 'flow-steps', 'data-testid': 'flow-steps'}),
      lookup: el('input', {'type': 'text', 'data-testid': 'lookup-id', 'data-sensitive': true, 'maxlength': '18',
        'autocomplete': 'off', 'aria-label': 'Resident ID number to look up'}),
      lookupSubmit: button('lookup-submit', 'Look up', 'button secondary'),
      target: el('select', {'data-testid': 'flow-target', 'aria-label': 'Card, account or application'}),
      reason: el('input', {'type': 'text', 'data-testid': 'flow-reason', 'maxlength': '200',
        'aria-label': 'Reason'}),
      reasonCode: el('select', {'data-testid': 'flow-reason-code', 'aria-label': 'Reason code'}),
      confirm: button('action-confirm', 'Confirm', 'button ok'),
      reject: button('action-reject', 'Reject', 'button danger'),
      question: el('p', {'class': 'script-question', 'data-testid': 'script-question', 'data-question-id': '',
        'data-answer': ''}),
      answerConfirm: button('answer-confirm', 'Spoken answer matches', 'button ok'),
      answerDispute: button('answer-dispute', 'Ask again', 'button secondary'),
      cancel: button('flow-cancel', 'Stop this business', 'button secondary'),
      wrapUpCode: el('select', {'data-testid': 'flow-wrapup-code', 'aria-label': 'Wrap-up code'}),
      wrapUpSubmit: button('flow-wrapup-submit', 'Record wrap-up code', 'button'),
    };
    const ui = this.ui;
    for (const code of WRAP_UP_CODES) {
      ui.wrapUpCode.append(new Option(code.replaceAll('_', ' '), code));
    }
    /** @private Parts shown only when they can be used (the action buttons always show). */
    this.rows = {
      lookup: el('div', {'class': 'flow-row'}, ui.lookup, ui.lookupSubmit),
      target: el('div', {'class': 'flow-row'}, ui.target, ui.reasonCode),
      script: el('div', {'class': 'script'}, ui.question,
        el('div', {'class': 'actions'}, ui.answerConfirm, ui.answerDispute)),
      wrapUp: el('div', {'class': 'flow-row'}, ui.wrapUpCode, ui.wrapUpSubmit),
    };
    root.append(
      el('h2', {text: 'Business'}), ui.text, ui.error,
      el('h3', {text: 'Customer'}), ui.profile,
      el('h3', {text: 'Steps'}), ui.steps,
      this.rows.lookup, this.rows.target, ui.reason,
      el('div', {'class': 'actions'}, ui.confirm, ui.reject),
      this.rows.script, this.rows.wrapUp, ui.cancel,
    );
    ui.lookup.placeholder = 'ID number';
    ui.reason.placeholder = 'Reason (for a rejection or a stop)';
    ui.lookupSubmit.addEventListener('click', () => {
      this.send('identify', {resident_id: ui.lookup.value.trim().toUpperCase()});
      ui.lookup.value = '';
    });
    ui.confirm.addEventListener('click', () => this.act('confirm'));
    ui.reject.addEventListener('click', () => this.act('reject'));
    ui.answerConfirm.addEventListener('click', () => {
      this.send('answer_confirmed', {question_id: this.questionId, confirmed: true});
    });
    ui.answerDispute.addEventListener('click', () => {
      this.send('answer_confirmed', {question_id: this.questionId, confirmed: false});
    });
    ui.cancel.addEventListener('click', () => this.send('cancelled', {reason: this.reason()}));
    ui.wrapUpSubmit.addEventListener('click', () => this.send('wrap_up', {code: ui.wrapUpCode.value}));
    this.reset();
  }

  /**
   * Listen to one signaling client (call once per client, before `connect()`).
   * @param {import('/shared/signaling.js').SignalingClient} client
   */
  attach(client) {
    this.sender = attachFlow(client, this);
  }

  /** The session ended: nothing more can be sent (the checklist stays for the wrap-up). */
  ended() {
    this.expected = new Set();
    this.render();
  }

  /** @returns {string} the chosen card, account or application id */
  target() {
    return this.ui.target.value;
  }

  /** @returns {string} the reason typed, or a plain default */
  reason() {
    return this.ui.reason.value.trim() || 'decided by the teller';
  }

  /** @returns {string} the chosen card-review reason code */
  reasonCode() {
    return this.ui.reasonCode.value;
  }

  /** Forget everything of the last session. */
  reset() {
    this.root.hidden = true;
    this.root.dataset.business = '';
    this.root.dataset.status = '';
    this.root.dataset.step = '';
    this.expected = new Set();
    this.questionId = '';
    this.ui.profile.replaceChildren();
    this.ui.profile.dataset.customerId = '';
    this.ui.steps.replaceChildren();
    this.ui.target.replaceChildren();
    this.ui.reasonCode.replaceChildren();
    this.ui.reason.value = '';
    this.ui.question.textContent = '';
    this.ui.question.dataset.questionId = '';
    this.ui.question.dataset.answer = '';
    this.ui.text.textContent = '';
    this.ui.text.dataset.code = '';
    this.showError('', '');
    this.render();
  }

  /** @param {FlowStateMessage} state */
  showState(state) {
    this.root.hidden = false;
    this.root.dataset.business = state.business;
    this.root.dataset.status = state.status;
    this.root.dataset.step = state.step ?? '';
    this.expected = new Set(state.expected);
    this.ui.steps.replaceChildren(...state.steps.map((item) => el('li', {
      'data-step': item.step, 'data-state': item.state, 'text': STEP_LABELS[item.step] ?? item.step,
    })));
    this.render();
  }

  /** @param {FlowMessage} message */
  showMessage(message) {
    this.root.hidden = false;
    this.ui.text.textContent = message.text;
    this.ui.text.dataset.code = message.code;
    const data = message.data;
    switch (message.code) {
      case 'customer_profile':
        this.showProfile(data);
        break;
      case 'confirm_card':
      case 'review_card':
        this.fillTargets(data.cards ?? [], (card) => `${card.number} (${card.status})`);
        this.fillReasonCodes(data.reject_reasons ?? []);
        break;
      case 'confirm_account':
        this.fillTargets(data.accounts ?? [], (account) => `${account.number} (${account.status})`);
        break;
      case 'choose_application':
        this.fillTargets(data.applications ?? [], (app) => `${app.company_name ?? app.id}`);
        break;
      case 'script_question':
        this.questionId = String(data.question_id ?? '');
        this.ui.question.textContent = message.text;
        this.ui.question.dataset.questionId = this.questionId;
        this.ui.question.dataset.answer = '';
        break;
      case 'answer_received':
        this.ui.question.dataset.answer = String(data.answer ?? '');
        break;
      case 'wrap_up':
        if (data.suggested) {
          this.ui.wrapUpCode.value = String(data.suggested);
        }
        break;
      default:
        break;
    }
    this.showError('', '');
  }

  /** @private @param {Record<string, any>} data */
  showProfile(data) {
    const customer = data.customer ?? {};
    this.ui.profile.dataset.customerId = String(customer.id ?? '');
    const rows = [
      ['Name', customer.name],
      ['ID number', customer.resident_id],
      ['Age', data.age],
      ['Phone', customer.phone],
      ['Address', customer.address],
    ];
    this.ui.profile.replaceChildren(...rows.filter(([, value]) => value !== undefined && value !== null)
      .flatMap(([label, value]) => [el('dt', {text: String(label)}), el('dd', {text: String(value)})]));
  }

  /**
   * @private
   * @param {Record<string, any>[]} items
   * @param {(item: Record<string, any>) => string} label
   */
  fillTargets(items, label) {
    this.ui.target.replaceChildren(...items.map((item) => new Option(label(item), String(item.id))));
  }

  /** @private @param {string[]} codes */
  fillReasonCodes(codes) {
    this.ui.reasonCode.replaceChildren(...codes.map((code) => new Option(code.replaceAll('_', ' '), code)));
  }

  /**
   * @param {string} code
   * @param {string} text
   */
  showError(code, text) {
    this.ui.error.dataset.code = code;
    this.ui.error.textContent = text;
    this.ui.error.hidden = code === '';
  }

  /** @private @returns {{confirm: (typeof ACTIONS)[number]|null, reject: (typeof ACTIONS)[number]|null}} */
  actions() {
    const confirm = ACTIONS.find((a) => a.confirm && this.expected.has(a.kind)) ?? null;
    const reject = ACTIONS.find((a) => a.reject && this.expected.has(a.kind)) ?? null;
    return {confirm, reject};
  }

  /** @private Enable exactly what the server expects from the teller now. */
  render() {
    const {confirm, reject} = this.actions();
    const ui = this.ui;
    ui.confirm.disabled = confirm === null;
    ui.confirm.dataset.kind = confirm?.kind ?? '';
    ui.reject.disabled = reject === null;
    ui.reject.dataset.kind = reject?.kind ?? '';
    const lookup = this.expected.has('identify');
    ui.lookup.disabled = !lookup;
    ui.lookupSubmit.disabled = !lookup;
    const confirming = this.expected.has('answer_confirmed');
    ui.answerConfirm.disabled = !confirming;
    ui.answerDispute.disabled = !confirming;
    ui.cancel.disabled = !this.expected.has('cancelled');
    const wrapping = this.expected.has('wrap_up');
    ui.wrapUpCode.disabled = !wrapping;
    ui.wrapUpSubmit.disabled = !wrapping;
    this.rows.lookup.hidden = !lookup;
    this.rows.target.hidden = ui.target.options.length === 0 && ui.reasonCode.options.length === 0;
    this.rows.script.hidden = this.root.dataset.step !== 'questions';
    this.rows.wrapUp.hidden = !wrapping;
  }

  /** @private @param {'confirm'|'reject'} which */
  act(which) {
    const action = this.actions()[which];
    const build = action?.[which];
    if (action && build) {
      this.send(action.kind, build(this));
    }
  }

  /**
   * @private
   * @param {string} kind
   * @param {Fields} fields
   */
  send(kind, fields) {
    if (this.sender?.send(kind, fields)) {
      this.showError('', '');
    }
  }
}
