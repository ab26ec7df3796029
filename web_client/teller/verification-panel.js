/**
 * The teller's identity check: start a liveness and face-match attempt on the customer in the call,
 * follow each asked action live, and read the server's verdict with every score and reason. The
 * teller never decides here: the server does, from the video it received.
 *
 * Hooks: `verification-card`, `verification-customer-id` (needed until a business flow identified
 * the customer), `start-verification`, `stop-verification`, `verification-phase[data-phase]`,
 * `challenge-progress` (one `li` per action: `data-index`, `data-action`, `data-status` =
 * `asked`|`passed`|`retry`|`failed`, and once judged `data-result`), `verification-result[data-outcome]`
 * (`pass`|`review`|`fail`|`busy`; its facts `dd[data-fact]`, its reasons `li[data-code]`),
 * `verification-refused[data-reason]`.
 *
 * Every text is in the console's language (teller/verification-strings.js): the server sends codes —
 * actions, phases, try results, the verdict's reasons — and the page words them; the server's English
 * explanation of a reason is shown only for a code the page does not know, on an English page.
 * Refusals are worded by shared/error-texts.js.
 *
 * A `review` verdict opens the review view (`review-panel[data-state]` = `open`|`sending`|`resolved`):
 * the enrolled reference photo (`review-reference`) beside the live keyframe closest to it
 * (`review-keyframe`), the match distance (`review-distance[data-distance]`), a reason code
 * (`review-reason`), an optional comment (`review-comment`), and — when the bank requires four eyes —
 * a second staff member's sign-in (`review-second-username`, `review-second-password`); then
 * `review-accept` or `review-reject`. The server checks everything and answers `verification_resolved`
 * (`review-result[data-accept]`, `data-by`, `data-second`). The pictures are biometric data: they
 * live only in this view and are dropped when the review is resolved or the call ends.
 *
 * @module teller/verification-panel
 */

import {sentence} from '/shared/dom.js';
import {formatClock} from '/shared/time.js';
import {serverErrorText, strings, t, tOr} from '/teller/strings.js';

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */

const STYLESHEET = '/teller/verification-review.css';

/**
 * @param {string} action a prompt's action code
 * @returns {string} its name in the page language
 */
function actionName(action) {
  return tOr(`verify.action.${action}`, action);
}

/**
 * One reason of a verdict in the page language; the server's English explanation only for a code
 * this page does not know yet (a newer server), and only on an English page.
 * @param {{code: string, text?: string}} reason
 * @returns {string}
 */
function reasonText(reason) {
  const known = tOr(`verify.reason.${reason.code}`, '');
  if (known) {
    return known;
  }
  return strings.lang === 'en' && reason.text ? sentence(reason.text) : t('verify.reason_other', {code: reason.code});
}

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
    /** @private @type {ReturnType<typeof setTimeout>|undefined} */ this.heldTimer = undefined;
    this.root = element('section', 'card verification-card');
    this.root.dataset.testid = 'verification-card';
    this.root.hidden = true;
    const heading = element('h2', '', t('verify.heading'));
    const label = element('label', 'field-label', t('verify.customer_id'));
    this.customerId = /** @type {HTMLInputElement} */ (element('input'));
    this.customerId.dataset.testid = 'verification-customer-id';
    this.customerId.autocomplete = 'off';
    this.customerId.maxLength = 64;
    this.customerId.id = 'verification-customer-id';
    label.htmlFor = this.customerId.id;
    this.start = /** @type {HTMLButtonElement} */ (element('button', 'button', t('verify.start')));
    this.start.type = 'button';
    this.start.dataset.testid = 'start-verification';
    this.stop = /** @type {HTMLButtonElement} */ (element('button', 'button secondary', t('verify.stop')));
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
    this.review = this.buildReview();
    this.root.append(
      heading, label, this.customerId, buttons, this.phase, this.progress, this.refused, this.result, this.review.root,
    );
    container.append(this.root);
    if (!document.querySelector(`link[href="${STYLESHEET}"]`)) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = STYLESHEET;
      document.head.append(link);
    }
    /** @type {SignalingClient|null} */
    this.client = null;
    /** @type {string|null} */
    this.sessionId = null;
    /** @type {string|null} */
    this.attempt = null;
    /** @type {string|null} */
    this.reviewAttempt = null;
    this.start.addEventListener('click', () => this.requestStart());
    this.stop.addEventListener('click', () => this.requestStop());
  }

  /** @param {SignalingClient} client */
  attach(client) {
    this.client = client;
    client.on('session_started', (m) => this.opened(m.session_id));
    client.on('session_resumed', (m) => this.opened(m.session_id));
    client.on('session_ended', (m) => {
      if (m.session_id === this.sessionId) this.closed();
    });
    client.on('verification_started', (m) => this.started(m));
    client.on('verification_phase', (m) => this.phased(m));
    client.on('verification_prompt', (m) => this.asked(m));
    client.on('verification_progress', (m) => this.judged(m));
    client.on('verification_result', (m) => this.decided(m));
    client.on('verification_refused', (m) => this.refusedWith(m));
    client.on('verification_review', (m) => this.reviewOpened(m));
    client.on('verification_resolved', (m) => this.reviewResolved(m));
    client.on('error', (m) => {
      if (['verification_start', 'verification_stop', 'verification_resolve'].includes(m.ref_type)) {
        this.showRefusal(m.code, serverErrorText(m.code, m.message, m.params ?? {}));
      }
      if (m.ref_type === 'verification_resolve' && this.review.root.dataset.state === 'sending') {
        this.review.root.dataset.state = 'open';
        this.reviewButtons();
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
    this.setPhase('', t('verify.not_started'));
    this.setRunning(false);
    this.closeReview();
  }

  closed() {
    this.sessionId = null;
    this.attempt = null;
    this.root.hidden = true;
    this.customerId.value = '';
    this.closeReview();
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
    if (running) {
      clearTimeout(this.heldTimer);
      delete this.start.dataset.held;
    }
    this.start.disabled = running || this.start.dataset.held === 'true';
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
    this.closeReview();
    this.progress.replaceChildren();
    this.result.hidden = true;
    this.result.replaceChildren();
    delete this.result.dataset.outcome;
    this.setRunning(true);
    this.setPhase('quality', t('verify.phase.quality'));
  }

  /** @param {{attempt: string, phase: string}} m */
  phased(m) {
    if (m.attempt !== this.attempt) return;
    this.setPhase(m.phase, tOr(`verify.phase.${m.phase}`, m.phase));
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
    li.textContent = t(m.attempt_try > 1 ? 'verify.asked_again' : 'verify.asked', {action: actionName(m.action)});
  }

  /** @param {{attempt: string, index: number, action: string, status: string, result: string}} m */
  judged(m) {
    if (m.attempt !== this.attempt) return;
    const li = this.item(m.index, m.action);
    li.dataset.status = m.status;
    li.dataset.result = m.result;
    const words = {
      action: actionName(m.action),
      status: tOr(`verify.status.${m.status}`, m.status),
      result: tOr(`verify.try.${m.result}`, m.result.replaceAll('_', ' ')),
    };
    li.textContent = t(m.result === 'passed' ? 'verify.judged_passed' : 'verify.judged', words);
  }

  /** @param {{attempt: string, outcome?: string, detail?: any}} m */
  decided(m) {
    if (m.attempt !== this.attempt || !m.outcome) return;
    this.setRunning(false);
    this.setPhase('done', t('verify.phase.done'));
    const detail = m.detail ?? {};
    const scores = detail.scores ?? {};
    this.result.dataset.outcome = m.outcome;
    const summary = element('p', `outcome ${m.outcome}`, tOr(`verify.outcome.${m.outcome}`, m.outcome));
    const facts = element('dl', 'facts');
    /** @type {[string, unknown][]} */
    const verdict = scores.match_verdict;
    const rows = [
      ['match_distance', scores.match_distance ?? '—'],
      ['match_verdict', verdict ? tOr(`verify.verdict.${verdict}`, verdict) : '—'],
      ['keyframes', detail.keyframes ?? 0],
      ['frames_analysed', scores.frames_analysed ?? 0],
      ['seconds', detail.seconds ?? '—'],
    ];
    for (const [fact, value] of rows) {
      const dd = element('dd', '', String(value));
      dd.dataset.fact = String(fact);
      facts.append(element('dt', '', t(`verify.fact.${fact}`)), dd);
    }
    const reasons = element('ul', 'reasons');
    for (const reason of detail.reasons ?? []) {
      const li = element('li', '', reasonText(reason));
      li.dataset.code = reason.code;
      reasons.append(li);
    }
    this.result.replaceChildren(summary, facts, reasons);
    this.result.hidden = false;
  }

  /**
   * @param {{session_id: string, reason: string, message: string, until?: number,
   *   retry_after?: number}} m
   */
  refusedWith(m) {
    if (m.session_id !== this.sessionId) return;
    const until = m.until ? t('verify.until', {time: formatClock(m.until, strings.lang)}) : '';
    const text = m.reason === 'busy' ? t('verify.refused_busy') : serverErrorText(m.reason, m.message);
    this.showRefusal(m.reason, text + until);
    if (this.review.root.dataset.state === 'sending') {
      this.review.root.dataset.state = 'open';  // the server refused the resolution: correct and resend
      this.reviewButtons();
      return;
    }
    if (m.reason !== 'already_running') this.setRunning(false);
    if (m.retry_after) this.holdStart(m.retry_after);
  }

  /**
   * The server was too busy to start a check: Start stays off (`data-held`) until the server's
   * measurement of its speed lapses and a new start is judged afresh.
   * @param {number} seconds
   */
  holdStart(seconds) {
    clearTimeout(this.heldTimer);
    this.start.disabled = true;
    this.start.dataset.held = 'true';
    this.heldTimer = setTimeout(() => {
      delete this.start.dataset.held;
      if (this.root.dataset.running !== 'true') this.start.disabled = false;
    }, seconds * 1000);
  }

  /**
   * @param {string} reason
   * @param {string} text
   */
  showRefusal(reason, text) {
    this.refused.dataset.reason = reason;
    this.refused.textContent = text;
    this.refused.hidden = false;
    if (this.root.dataset.running !== 'true' && !this.start.dataset.held) this.start.disabled = false;
  }

  /**
   * The review view's elements (hidden until a `verification_review` arrives).
   * @returns {{root: HTMLElement, reference: HTMLImageElement, keyframe: HTMLImageElement,
   *   distance: HTMLElement, reason: HTMLSelectElement, comment: HTMLInputElement, second: HTMLElement,
   *   secondUser: HTMLInputElement, secondPassword: HTMLInputElement, accept: HTMLButtonElement,
   *   reject: HTMLButtonElement, result: HTMLElement}}
   */
  buildReview() {
    const root = element('section', 'review-panel');
    root.dataset.testid = 'review-panel';
    root.hidden = true;
    /**
     * @param {string} testid
     * @param {string} caption
     * @returns {[HTMLElement, HTMLImageElement]}
     */
    const picture = (testid, caption) => {
      const figure = element('figure', 'review-picture');
      const img = /** @type {HTMLImageElement} */ (element('img'));
      img.dataset.testid = testid;
      img.alt = caption;
      figure.append(img, element('figcaption', '', caption));
      return [figure, img];
    };
    const [referenceFigure, reference] = picture('review-reference', t('review.reference'));
    const [keyframeFigure, keyframe] = picture('review-keyframe', t('review.live'));
    const pictures = element('div', 'review-pictures');
    pictures.append(referenceFigure, keyframeFigure);
    const distance = element('p', 'review-distance');
    distance.dataset.testid = 'review-distance';
    const reasonLabel = element('label', 'field-label', t('review.reason'));
    const reason = /** @type {HTMLSelectElement} */ (element('select'));
    reason.id = 'review-reason';
    reason.dataset.testid = 'review-reason';
    reasonLabel.htmlFor = reason.id;
    const commentLabel = element('label', 'field-label', t('review.comment'));
    const comment = /** @type {HTMLInputElement} */ (element('input'));
    comment.id = 'review-comment';
    comment.dataset.testid = 'review-comment';
    comment.maxLength = 200;
    comment.autocomplete = 'off';
    commentLabel.htmlFor = comment.id;
    const second = element('fieldset', 'review-second');
    second.append(element('legend', '', t('review.second')));
    /**
     * @param {string} testid
     * @param {string} caption
     * @param {string} type
     * @returns {HTMLInputElement}
     */
    const field = (testid, caption, type) => {
      const label = element('label', 'field-label', caption);
      const input = /** @type {HTMLInputElement} */ (element('input'));
      input.id = testid;
      input.type = type;
      input.dataset.testid = testid;
      input.autocomplete = 'off';
      input.maxLength = type === 'password' ? 256 : 64;
      label.htmlFor = input.id;
      second.append(label, input);
      return input;
    };
    const secondUser = field('review-second-username', t('review.second_username'), 'text');
    const secondPassword = field('review-second-password', t('review.second_password'), 'password');
    const accept = /** @type {HTMLButtonElement} */ (element('button', 'button', t('review.accept')));
    accept.type = 'button';
    accept.dataset.testid = 'review-accept';
    const reject = /** @type {HTMLButtonElement} */ (element('button', 'button danger', t('review.reject')));
    reject.type = 'button';
    reject.dataset.testid = 'review-reject';
    const row = element('div', 'button-row');
    row.append(accept, reject);
    const result = element('p', 'review-result');
    result.dataset.testid = 'review-result';
    result.hidden = true;
    root.append(element('h3', '', t('review.title')), pictures, distance, reasonLabel, reason, commentLabel, comment,
      second, row, result);
    reason.addEventListener('change', () => this.reviewButtons());
    accept.addEventListener('click', () => this.sendResolve(true));
    reject.addEventListener('click', () => this.sendResolve(false));
    return {root, reference, keyframe, distance, reason, comment, second, secondUser, secondPassword, accept, reject,
      result};
  }

  /**
   * @param {{session_id: string, attempt: string, distance: number|null, accept_threshold: number,
   *   review_threshold: number, reference_image: string|null, keyframe_image: string|null,
   *   accept_reasons: string[], reject_reasons: string[], four_eyes: boolean}} m
   */
  reviewOpened(m) {
    if (m.session_id !== this.sessionId || m.attempt !== this.attempt) return;
    const r = this.review;
    this.reviewAttempt = m.attempt;
    for (const [img, url] of /** @type {[HTMLImageElement, string|null][]} */ (
      [[r.reference, m.reference_image], [r.keyframe, m.keyframe_image]])) {
      // Only pictures the server sent as JPEG data URLs; nothing else is put into src.
      if (url && url.startsWith('data:image/jpeg;base64,')) {
        img.src = url;
        img.dataset.loaded = 'true';
      } else {
        img.removeAttribute('src');
        img.dataset.loaded = 'false';
        img.alt = t('review.no_image');
      }
    }
    r.distance.dataset.distance = m.distance === null ? '' : String(m.distance);
    r.distance.textContent = m.distance === null ? t('review.distance_none') : t('review.distance', {
      distance: m.distance.toFixed(3), accept: m.accept_threshold.toFixed(2), review: m.review_threshold.toFixed(2),
    });
    const choose = /** @type {HTMLOptionElement} */ (element('option', '', t('review.choose')));
    choose.value = '';
    r.reason.replaceChildren(choose);
    for (const [group, codes, kind] of /** @type {[string, string[], string][]} */ (
      [['accept_group', m.accept_reasons, 'accept'], ['reject_group', m.reject_reasons, 'reject']])) {
      const optgroup = /** @type {HTMLOptGroupElement} */ (element('optgroup'));
      optgroup.label = t(`review.${group}`);
      for (const code of codes) {
        const option = /** @type {HTMLOptionElement} */ (element('option', '', tOr(`review.${code}`, code)));
        option.value = code;
        option.dataset.kind = kind;
        optgroup.append(option);
      }
      r.reason.append(optgroup);
    }
    r.comment.value = '';
    r.second.hidden = !m.four_eyes;
    r.secondUser.value = '';
    r.secondPassword.value = '';
    r.result.hidden = true;
    r.root.dataset.fourEyes = String(m.four_eyes);
    r.root.dataset.state = 'open';
    r.root.hidden = false;
    this.reviewButtons();
  }

  reviewButtons() {
    const r = this.review;
    const kind = r.reason.selectedOptions[0]?.dataset.kind ?? '';
    const open = r.root.dataset.state === 'open';
    r.accept.disabled = !open || kind !== 'accept';
    r.reject.disabled = !open || kind !== 'reject';
  }

  /** @param {boolean} accept */
  sendResolve(accept) {
    const r = this.review;
    if (!this.client || !this.sessionId || !this.reviewAttempt || r.root.dataset.state !== 'open') return;
    /** @type {Record<string, string|boolean>} */
    const message = {
      type: 'verification_resolve', session_id: this.sessionId, attempt: this.reviewAttempt, accept,
      reason: r.reason.value,
    };
    const comment = r.comment.value.trim();
    if (comment) message.comment = comment;
    if (!r.second.hidden && r.secondUser.value.trim() && r.secondPassword.value) {
      message.second_username = r.secondUser.value.trim();
      message.second_password = r.secondPassword.value;
    }
    r.secondPassword.value = '';
    this.refused.hidden = true;
    r.root.dataset.state = 'sending';
    this.reviewButtons();
    this.client.send(message);
  }

  /** @param {{session_id: string, attempt: string, accept: boolean, by: string, second?: string}} m */
  reviewResolved(m) {
    if (m.session_id !== this.sessionId || m.attempt !== this.reviewAttempt) return;
    const r = this.review;
    const second = m.second ? t('review.second_by', {second: m.second}) : '';
    r.result.dataset.accept = String(m.accept);
    r.result.dataset.by = m.by;
    r.result.dataset.second = m.second ?? '';
    r.result.textContent = t(m.accept ? 'review.resolved_accept' : 'review.resolved_reject', {by: m.by, second});
    r.result.hidden = false;
    r.root.dataset.state = 'resolved';
    this.dropPictures();
    this.reviewButtons();
  }

  /** Forget the pictures (biometric data) once they are no longer needed. */
  dropPictures() {
    for (const img of [this.review.reference, this.review.keyframe]) {
      img.removeAttribute('src');
      img.dataset.loaded = 'false';
    }
  }

  closeReview() {
    this.reviewAttempt = null;
    this.dropPictures();
    this.review.root.hidden = true;
    delete this.review.root.dataset.state;
  }
}
