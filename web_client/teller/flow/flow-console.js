/**
 * The teller's part of a business flow (docs/flows.md): the customer's profile, the checklist, the
 * business action, the willingness script and the wrap-up code. The server decides: a control is
 * enabled only while the last `flow_state` lists its input kind in `expected`.
 *
 * After the call the console stays with the ended flow while the teller wraps up: the server keeps
 * taking its wrap-up code (docs/protocol.md), so the code row stays usable until it is recorded
 * (`flow-wrapup[data-state]`: `none` while the business runs, `open`, then `recorded`).
 *
 * Hooks (`data-testid`): `flow-console` (`data-business`, `data-status`, `data-step`), `flow-text`
 * (`data-code`), `flow-error` (`data-code`), `customer-profile` (`data-customer-id`), `flow-steps`
 * (items with `data-step`, `data-state`), `lookup-id`, `lookup-submit`, `flow-target` (the card,
 * account or application the action is about), `flow-reason`, `flow-reason-code`, `action-confirm`,
 * `action-reject` (`data-kind`: the input each sends), `script-question` (`data-question-id`,
 * `data-answer` the customer's tap), `answer-confirm`, `answer-dispute`, `flow-cancel`,
 * `flow-wrapup` (`data-state`), `flow-wrapup-code`, `flow-wrapup-submit`.
 *
 * @module teller/flow/flow-console
 */

import {attachFlow, button, el} from '/shared/flow-ui.js';
import {businessName, serverErrorText, t, tOr} from '/teller/strings.js';

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

const WRAP_UP_CODES = ['resolved', 'follow_up', 'referred_to_branch', 'customer_declined',
  'verification_failed', 'customer_disconnected', 'technical_problem', 'other'];

/** Inputs that name the card, account or application chosen in `flow-target`. */
const TARGET_KINDS = new Set(['card_confirmed', 'account_confirmed', 'application_chosen', 'card_reviewed']);

/** Inputs the server still takes from the teller once the call has ended. */
const AFTER_CALL = new Set(['wrap_up']);

/** Flow statuses of a flow that has ended (docs/flows.md, "The end"). */
const FINISHED = new Set(['completed', 'declined', 'failed', 'cancelled', 'abandoned']);

/**
 * @typedef {object} FlowConsoleEvents
 * @property {(customerId: string) => void} [identified] the flow identified the customer
 */

export class TellerFlowConsole {
  /**
   * @param {HTMLElement} root the empty `flow-console` section of the page
   * @param {FlowConsoleEvents} [events]
   */
  constructor(root, events = {}) {
    /** @private */ this.root = root;
    /** @private */ this.events = events;
    /** @private @type {import('/shared/flow-ui.js').FlowSender|null} */ this.sender = null;
    /** @private @type {import('/shared/signaling.js').SignalingClient|null} */ this.client = null;
    /** @private @type {Set<string>} */ this.expected = new Set();
    /** @private */ this.questionId = '';
    /** @private @type {string|null} the session whose flow is shown */ this.sessionId = null;
    /** @private @type {string|null} that session, once it has ended (the wrap-up code may follow) */
    this.afterCall = null;
    this.ui = {
      business: el('span', {'class': 'flow-business'}),
      text: el('p', {'class': 'flow-text', 'data-testid': 'flow-text', 'data-code': '', 'aria-live': 'polite'}),
      error: el('p', {'class': 'notice error', 'data-testid': 'flow-error', 'data-code': '', 'role': 'alert',
        'hidden': true}),
      profile: el('dl', {'class': 'facts', 'data-testid': 'customer-profile', 'data-customer-id': ''}),
      steps: el('ol', {'class': 'flow-steps', 'data-testid': 'flow-steps'}),
      lookup: el('input', {'type': 'text', 'data-testid': 'lookup-id', 'data-sensitive': true, 'maxlength': '18',
        'autocomplete': 'off', 'aria-label': t('flow.lookup_label'), 'placeholder': t('flow.lookup_placeholder')}),
      lookupSubmit: button('lookup-submit', t('flow.lookup_submit'), 'button secondary'),
      target: el('select', {'data-testid': 'flow-target', 'aria-label': t('flow.target_label')}),
      reason: el('input', {'type': 'text', 'data-testid': 'flow-reason', 'maxlength': '200',
        'aria-label': t('flow.reason_label'), 'placeholder': t('flow.reason_placeholder')}),
      reasonCode: el('select', {'data-testid': 'flow-reason-code', 'aria-label': t('flow.reason_code_label')}),
      confirm: button('action-confirm', t('flow.confirm'), 'button ok'),
      reject: button('action-reject', t('flow.reject'), 'button danger'),
      question: el('p', {'class': 'script-question', 'data-testid': 'script-question', 'data-question-id': '',
        'data-answer': ''}),
      tapped: el('p', {'class': 'script-tapped'}),
      answerConfirm: button('answer-confirm', t('flow.answer_confirm'), 'button ok'),
      answerDispute: button('answer-dispute', t('flow.answer_dispute'), 'button secondary'),
      cancel: button('flow-cancel', t('flow.cancel'), 'button secondary'),
      wrapUpCode: el('select', {'id': 'flow-wrapup-code', 'data-testid': 'flow-wrapup-code'}),
      wrapUpSubmit: button('flow-wrapup-submit', t('flow.wrapup_submit'), 'button'),
      wrapUpNote: el('p', {'class': 'flow-wrapup-note', 'text': t('flow.wrapup_recorded')}),
    };
    const ui = this.ui;
    for (const code of WRAP_UP_CODES) {
      ui.wrapUpCode.append(new Option(t(`wrapup_code.${code}`), code));
    }
    /** @private Parts shown only when they can be used (the action buttons always show). */
    this.rows = {
      wrapUp: el('div', {'class': 'flow-wrapup', 'data-testid': 'flow-wrapup', 'data-state': 'none'},
        el('label', {'for': 'flow-wrapup-code', 'text': t('flow.wrapup_label')}),
        el('div', {'class': 'flow-row'}, ui.wrapUpCode, ui.wrapUpSubmit), ui.wrapUpNote),
      lookup: el('div', {'class': 'flow-row'}, ui.lookup, ui.lookupSubmit),
      target: el('div', {'class': 'flow-row'}, ui.target, ui.reasonCode),
      script: el('div', {'class': 'script'}, ui.question, ui.tapped,
        el('div', {'class': 'actions'}, ui.answerConfirm, ui.answerDispute)),
    };
    root.append(
      el('h2', {}, document.createTextNode(t('flow.heading')), ui.business),
      ui.text, ui.error, this.rows.wrapUp,
      this.rows.lookup, this.rows.target, ui.reason,
      el('div', {'class': 'actions'}, ui.confirm, ui.reject),
      this.rows.script, ui.cancel,
      el('h3', {text: t('flow.customer')}), ui.profile,
      el('h3', {text: t('flow.steps')}), ui.steps,
    );
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
    this.client = client;
    this.sender = attachFlow(client, this);
    // After the call the shared dispatcher no longer follows the session: the answer to the
    // wrap-up code is taken here.
    const on = /** @type {(type: string, handler: (message: any) => void) => void} */ (client.on.bind(client));
    on('flow_state', (/** @type {FlowStateMessage} */ message) => {
      if (this.afterCall !== null && message.session_id === this.afterCall) {
        this.showState(message);
      }
    });
    on('flow_message', (/** @type {FlowMessage} */ message) => {
      if (this.afterCall !== null && message.session_id === this.afterCall) {
        this.showMessage(message);
      }
    });
  }

  /** The session ended: only what the server takes after the call stays possible (the wrap-up code). */
  ended() {
    this.afterCall = this.sessionId;
    this.expected = new Set([...this.expected].filter((kind) => AFTER_CALL.has(kind)));
    this.render();
  }

  /** @returns {string} the chosen card, account or application id */
  target() {
    return this.ui.target.value;
  }

  /** @returns {string} the reason typed, or a plain default */
  reason() {
    return this.ui.reason.value.trim() || t('flow.reason_default');
  }

  /** @returns {string} the chosen card-review reason code */
  reasonCode() {
    return this.ui.reasonCode.value;
  }

  /** Forget everything of the last session (a new one started, or the wrap-up is over). */
  reset() {
    this.root.hidden = true;
    this.root.dataset.business = '';
    this.root.dataset.status = '';
    this.root.dataset.step = '';
    this.expected = new Set();
    this.questionId = '';
    this.sessionId = null;
    this.afterCall = null;
    this.ui.business.textContent = '';
    this.ui.profile.replaceChildren();
    this.ui.profile.dataset.customerId = '';
    this.ui.steps.replaceChildren();
    this.ui.target.replaceChildren();
    this.ui.reasonCode.replaceChildren();
    this.ui.reason.value = '';
    this.ui.question.textContent = '';
    this.ui.question.dataset.questionId = '';
    this.ui.question.dataset.answer = '';
    this.ui.tapped.textContent = '';
    this.ui.text.textContent = '';
    this.ui.text.dataset.code = '';
    this.ui.wrapUpCode.selectedIndex = 0;
    this.showError('', '');
    this.render();
  }

  /** @param {FlowStateMessage} state */
  showState(state) {
    this.sessionId = state.session_id;
    this.root.hidden = false;
    this.root.dataset.business = state.business;
    this.root.dataset.status = state.status;
    this.root.dataset.step = state.step ?? '';
    this.ui.business.textContent = businessName(state.business);
    const expected = new Set(state.expected);
    this.expected = this.afterCall === null ? expected :
      new Set([...expected].filter((kind) => AFTER_CALL.has(kind)));
    this.ui.steps.replaceChildren(...state.steps.map((item) => el('li', {
      'data-step': item.step, 'data-state': item.state, 'text': tOr(`step.${item.step}`, item.step),
    })));
    this.render();
  }

  /** @param {FlowMessage} message */
  showMessage(message) {
    this.sessionId = message.session_id;
    this.root.hidden = false;
    this.ui.text.textContent = this.messageText(message);
    this.ui.text.dataset.code = message.code;
    const data = message.data;
    switch (message.code) {
      case 'customer_profile':
        this.showProfile(data);
        break;
      case 'verification_required':
        if (data.customer_id) {
          this.events.identified?.(String(data.customer_id));
        }
        break;
      case 'confirm_card':
      case 'review_card':
        this.fillTargets(data.cards ?? [], (card) => `${card.number} (${tOr(`status.${card.status}`, card.status)})`);
        this.fillReasonCodes(data.reject_reasons ?? []);
        break;
      case 'confirm_account':
        this.fillTargets(data.accounts ?? [],
          (account) => `${account.number} (${tOr(`status.${account.status}`, account.status)})`);
        break;
      case 'choose_application':
        this.fillTargets(data.applications ?? [], (app) => `${app.company_name ?? app.id}`);
        break;
      case 'script_question':
        this.questionId = String(data.question_id ?? '');
        this.ui.question.textContent = message.text;
        this.ui.question.dataset.questionId = this.questionId;
        this.ui.question.dataset.answer = '';
        this.ui.tapped.textContent = '';
        break;
      case 'answer_received':
        this.ui.question.dataset.answer = String(data.answer ?? '');
        this.ui.tapped.textContent = t('flow.customer_tapped', {answer: this.yesNo(data.answer)});
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

  /**
   * The teller's wording of a flow message, from its code (the server's English text is the
   * fallback; willingness questions are the bank's own script and shown as sent).
   * @private
   * @param {FlowMessage} message
   * @returns {string}
   */
  messageText(message) {
    const data = message.data ?? {};
    switch (message.code) {
      case 'script_question':
        return message.text;
      case 'customer_profile':
        return t('msg.customer_profile', {name: String(data.customer?.name ?? '')});
      case 'application':
        return t('msg.application', {company: String(data.company_name ?? '')});
      case 'answer_received':
        return t('msg.answer_received', {answer: this.yesNo(data.answer)});
      case 'flow_finished':
        return t('msg.flow_finished', {outcome: tOr(`outcome.${data.outcome}`, String(data.outcome ?? ''))});
      case 'action_failed':
        return data.code ? serverErrorText(String(data.code), message.text) : t('msg.action_failed');
      default:
        return tOr(`msg.${message.code}`, message.text);
    }
  }

  /**
   * @private
   * @param {unknown} answer
   * @returns {string}
   */
  yesNo(answer) {
    return t(answer === true || answer === 'true' ? 'flow.yes' : 'flow.no');
  }

  /** @private @param {Record<string, any>} data */
  showProfile(data) {
    const customer = data.customer ?? {};
    const id = String(customer.id ?? '');
    this.ui.profile.dataset.customerId = id;
    const rows = [
      ['profile.name', customer.name],
      ['profile.resident_id', customer.resident_id],
      ['profile.age', data.age],
      ['profile.phone', customer.phone],
      ['profile.address', customer.address],
    ];
    this.ui.profile.replaceChildren(...rows.filter(([, value]) => value !== undefined && value !== null)
      .flatMap(([label, value]) => [el('dt', {text: t(String(label))}), el('dd', {text: String(value)})]));
    if (id) {
      this.events.identified?.(id);
    }
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
    this.ui.reasonCode.replaceChildren(
      ...codes.map((code) => new Option(tOr(`review_reason.${code}`, code.replaceAll('_', ' ')), code)));
  }

  /**
   * A `flow_input` was refused.
   * @param {string} code
   * @param {string} text the server's text
   */
  showError(code, text) {
    this.ui.error.dataset.code = code;
    this.ui.error.textContent = code ? serverErrorText(code, text) : '';
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
    ui.reason.disabled = !(reject !== null || this.expected.has('cancelled'));
    const wrapping = this.expected.has('wrap_up');
    const finished = FINISHED.has(this.root.dataset.status ?? '');
    ui.wrapUpCode.disabled = !wrapping;
    ui.wrapUpSubmit.disabled = !wrapping;
    this.rows.wrapUp.dataset.state = wrapping ? 'open' : finished ? 'recorded' : 'none';
    this.rows.wrapUp.hidden = !wrapping && !finished;
    ui.wrapUpNote.hidden = wrapping;
    this.rows.lookup.hidden = !lookup;
    // The card, account or application (and a review's reason code) only while an action needs it.
    const targeting = [...TARGET_KINDS].some((kind) => this.expected.has(kind));
    ui.target.disabled = !targeting;
    ui.reasonCode.disabled = !targeting;
    ui.reasonCode.hidden = ui.reasonCode.options.length === 0;
    this.rows.target.hidden = !targeting || ui.target.options.length === 0;
    this.rows.script.hidden = this.root.dataset.step !== 'questions';
    this.root.dataset.afterCall = String(this.afterCall !== null);
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
   * Send an input of the current session's flow, or the wrap-up code of the session just ended.
   * @private
   * @param {string} kind
   * @param {Fields} fields
   */
  send(kind, fields) {
    let sent = this.sender?.send(kind, fields) ?? false;
    if (!sent && this.afterCall !== null && AFTER_CALL.has(kind) && this.client) {
      sent = this.client.send({type: 'flow_input', session_id: this.afterCall, kind, fields});
    }
    if (sent) {
      this.showError('', '');
    }
  }
}
