/**
 * Taking a call (or a place in line) back after the connection dropped (docs/protocol.md, "Resume").
 *
 * The server keeps a party's leg of the call for a grace period after its socket drops. The page
 * keeps the latest resume token in `sessionStorage` (it survives a reload of the tab, is not shared
 * with other tabs and is gone when the tab closes), opens a new socket with backoff — 0, 0.3, 1.2,
 * 2.7, 4.8 s, then every 7 s — says `hello` and `resume`, and on `session_resumed` makes a new peer
 * connection with the hub. While the browser says it is offline it waits for the `online` event
 * instead of spending attempts.
 *
 * @module shared/resume
 */

/** Delays before the first attempts, in milliseconds; then {@link RECONNECT_LATER_MS} between attempts. */
export const RECONNECT_DELAYS_MS = Object.freeze([0, 300, 1200, 2700, 4800]);
/** Delay between attempts once the first ones failed. */
export const RECONNECT_LATER_MS = 7000;

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */
/** @typedef {'resumed'|'refused'|'failed'} ResumeResult */

/**
 * @param {number} attempt 0 for the first attempt
 * @returns {number} milliseconds to wait before it
 */
export function reconnectDelay(attempt) {
  return attempt < RECONNECT_DELAYS_MS.length ? RECONNECT_DELAYS_MS[attempt] : RECONNECT_LATER_MS;
}

/**
 * The tab's resume tokens: one for its place in line, one for its leg of the current call. Secrets:
 * only ever sent in `resume`, never shown or logged.
 */
export class ResumeTokens {
  /** @param {string} key the `sessionStorage` key of this page */
  constructor(key) {
    /** @private */ this.key = key;
  }

  /** @returns {{queue: string|null, session: string|null}} */
  load() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(this.key) ?? '{}');
      return {
        queue: typeof stored.queue === 'string' ? stored.queue : null,
        session: typeof stored.session === 'string' ? stored.session : null,
      };
    } catch {
      return {queue: null, session: null};
    }
  }

  /** @param {{queue?: string|null, session?: string|null}} change the tokens to replace */
  save(change) {
    const next = {...this.load(), ...change};
    try {
      if (next.queue || next.session) {
        sessionStorage.setItem(this.key, JSON.stringify(next));
      } else {
        sessionStorage.removeItem(this.key);
      }
    } catch {
      // storage blocked: resuming after a reload will not work, resuming after a drop still does
    }
  }

  /** Forget both tokens. */
  clear() {
    this.save({queue: null, session: null});
  }
}

/**
 * Send `resume` on a connected client and wait for the answer.
 * @param {SignalingClient} client
 * @param {string} token
 * @returns {Promise<ResumeResult>} `resumed` (`session_resumed` or `queue_resumed` arrived: the
 *   page's own handlers have run), `refused` (`error` answering `resume`), `failed` (the socket closed)
 */
export function sendResume(client, token) {
  return new Promise((resolve) => {
    /** @type {Array<() => unknown>} */
    const offs = [];
    /** @param {ResumeResult} result */
    const done = (result) => {
      for (const off of offs) {
        off();
      }
      resolve(result);
    };
    offs.push(client.on('session_resumed', () => done('resumed')));
    offs.push(client.on('queue_resumed', () => done('resumed')));
    offs.push(client.on('error', (message) => {
      if (message.ref_type === 'resume') {
        done('refused');
      }
    }));
    offs.push(client.onClose(() => done('failed')));
    if (!client.send({type: 'resume', resume_token: token})) {
      done('failed');
    }
  });
}

/**
 * Tries `attempt` with the backoff until it resumes or is refused.
 */
export class Reconnector {
  /**
   * @param {object} options
   * @param {() => Promise<ResumeResult>} options.attempt open a socket, say hello and resume
   * @param {(result: 'resumed'|'refused') => void} options.finished told once, when it is over
   */
  constructor(options) {
    /** @private */ this.options = options;
    /** @private */ this.running = false;
    /** @private */ this.attempts = 0;
    /** @private @type {ReturnType<typeof setTimeout>|undefined} */ this.timer = undefined;
    /** @private */ this.onOnline = () => this.schedule(0);
  }

  /** @returns {boolean} whether it is trying to reconnect */
  get active() {
    return this.running;
  }

  /** Start trying (no-op while already trying). */
  start() {
    if (this.running) {
      return;
    }
    this.running = true;
    this.attempts = 0;
    window.addEventListener('online', this.onOnline);
    this.schedule(reconnectDelay(0));
  }

  /** Stop trying (the call ended some other way). */
  stop() {
    this.running = false;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
  }

  /** @private @param {number} delay */
  schedule(delay) {
    clearTimeout(this.timer);
    if (this.running) {
      this.timer = setTimeout(() => void this.tryOnce(), delay);
    }
  }

  /** @private */
  async tryOnce() {
    if (!this.running) {
      return;
    }
    if (!navigator.onLine) {
      return; // the `online` event schedules the next attempt at once
    }
    this.attempts += 1;
    let result;
    try {
      result = await this.options.attempt();
    } catch (error) {
      console.warn('resume: an attempt failed', error instanceof Error ? error.name : error);
      result = 'failed';
    }
    if (!this.running) {
      return;
    }
    if (result === 'failed') {
      this.schedule(reconnectDelay(this.attempts));
      return;
    }
    this.stop();
    this.options.finished(result);
  }
}
