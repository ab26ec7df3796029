/**
 * The rating after the call (docs/protocol.md, "Feedback"): however the call ended — either side
 * hung up, or the connection was lost — the phone asks for 1 to 5 points and an optional comment,
 * and sends `feedback` with the session's one-time token (over a new connection if the old one is
 * gone). The server stores it once against the session and answers `feedback_recorded`.
 *
 * Hooks: `rating` (`data-state` `open`|`sending`|`recorded`|`failed`, `data-session-id`),
 * `rating-1`…`rating-5` (`aria-pressed`), `rating-comment` (with its visible label),
 * `rating-submit`, `rating-error` (`data-code`).
 *
 * @module customer/rating-card
 */

import {strings} from '/customer/strings.js';
import {errorText} from '/shared/error-texts.js';
import {button, el} from '/shared/flow-ui.js';

const t = strings.t.bind(strings);
const MAX_COMMENT = 500;

/**
 * @typedef {object} FeedbackFields what `feedback` carries besides its type
 * @property {string} session_id
 * @property {string} feedback_token
 * @property {number} rating
 * @property {string|null} comment
 */

export class RatingCard {
  /**
   * @param {(fields: FeedbackFields) => Promise<boolean>} send sends `feedback` (reconnecting if
   *   needed); false when it could not be sent
   * @param {import('/customer/call-screen.js').StepLog} log
   */
  constructor(send, log) {
    /** @private */ this.sendFeedback = send;
    /** @private */ this.log = log;
    /** @private @type {{sessionId: string, token: string}|null} */ this.session = null;
    /** @private */ this.score = 0;
    /** @private @type {HTMLLIElement|null} */ this.entry = null;
    this.root = el('div', {'class': 'rating rating-card', 'data-testid': 'rating', 'data-state': 'open',
      'data-session-id': ''});
    const title = el('h3', {'id': 'rating-title', 'text': t('rating.title')});
    const scale = el('p', {'class': 'rating-scale', 'text': t('rating.scale')});
    /** @private */ this.scores = /** @type {HTMLButtonElement[]} */ ([]);
    const row = el('div', {'class': 'rating-scores', 'role': 'group', 'aria-labelledby': 'rating-title'});
    for (let score = 1; score <= 5; score += 1) {
      const choice = button(`rating-${score}`, String(score), 'button secondary rating-score');
      choice.setAttribute('aria-pressed', 'false');
      choice.setAttribute('aria-label', t('rating.score', {score}));
      choice.addEventListener('click', () => this.choose(score));
      this.scores.push(choice);
      row.append(choice);
    }
    /** @private */ this.comment = el('textarea', {'id': 'rating-comment', 'data-testid': 'rating-comment',
      'maxlength': String(MAX_COMMENT), 'rows': '2'});
    const label = el('label', {'for': 'rating-comment', 'text': t('rating.comment')});
    /** @private */ this.submit = button('rating-submit', t('rating.submit'), 'button wide');
    /** @private */ this.error = el('p', {'class': 'notice error', 'data-testid': 'rating-error', 'data-code': '',
      'role': 'alert', 'hidden': true});
    /** @private */ this.thanks = el('p', {'class': 'rating-thanks', 'role': 'status', 'hidden': true,
      'text': t('rating.thanks')});
    const form = el('div', {'class': 'rating-form field'}, title, scale, row, label, this.comment, this.error,
      this.submit);
    this.root.append(form, this.thanks);
    this.submit.addEventListener('click', () => void this.send());
    this.choose(0);
  }

  /**
   * Ask for the rating of a session that just ended.
   * @param {string} sessionId
   * @param {string} token the session's `feedback_token`
   */
  open(sessionId, token) {
    this.session = {sessionId, token};
    this.root.dataset.sessionId = sessionId;
    this.root.dataset.state = 'open';
    this.comment.value = '';
    this.choose(0);
    this.setError('');
    this.thanks.hidden = true;
    this.root.hidden = false;
    this.log.hidden(this.entry);
    this.entry = this.log.shown('rating', 'prompt', 'rating', 0);
  }

  /** The server stored it. */
  recorded() {
    this.root.dataset.state = 'recorded';
    this.thanks.hidden = false;
    this.session = null;
    this.log.hidden(this.entry);
    this.entry = this.log.shown('rating', 'result', 'recorded', 0);
  }

  /**
   * The server refused it (`feedback_closed`: already rated or too late — nothing more to do).
   * @param {string} code
   */
  refused(code) {
    this.root.dataset.state = code === 'feedback_closed' || code === 'invalid_feedback' ? 'closed' : 'failed';
    this.setError(code);
    this.submit.disabled = this.root.dataset.state === 'closed' || this.score === 0;
  }

  /** @private @param {number} score */
  choose(score) {
    this.score = score;
    for (const [index, choice] of this.scores.entries()) {
      choice.setAttribute('aria-pressed', String(index + 1 === score));
    }
    this.submit.disabled = score === 0 || this.root.dataset.state === 'sending';
  }

  /** @private */
  async send() {
    if (!this.session || this.score === 0) {
      return;
    }
    this.root.dataset.state = 'sending';
    this.submit.disabled = true;
    this.setError('');
    const comment = this.comment.value.trim().slice(0, MAX_COMMENT);
    const sent = await this.sendFeedback({
      session_id: this.session.sessionId,
      feedback_token: this.session.token,
      rating: this.score,
      comment: comment || null,
    });
    if (!sent && this.root.dataset.state === 'sending') {
      this.root.dataset.state = 'failed';
      this.setError('closed', t('rating.offline'));
      this.submit.disabled = false;
    }
  }

  /**
   * @private
   * @param {string} code
   * @param {string} [extra]
   */
  setError(code, extra = '') {
    this.error.dataset.code = code;
    this.error.textContent = code ? `${errorText(code, strings.lang)} ${extra}`.trim() : '';
    this.error.hidden = code === '';
  }
}
