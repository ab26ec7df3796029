/**
 * Elderly mode: large print, large targets, high contrast and every prompt spoken in the page
 * language (co-browse prompts are spoken for everyone; queue, call and step texts only in this
 * mode). It turns on by itself for customers aged 60 and over — as soon as the ID number typed on
 * the start page shows the age (a display choice only: the server decides the lane), and when the
 * server says so in `queue_update.lane` and `session_started.elderly` — and anyone can switch it
 * with `elderly-toggle`.
 *
 * Hooks: `html[data-elderly]` (`on`/`off`), `elderly-toggle[data-state]`, `lang-toggle`.
 *
 * @module customer/elderly
 */

import {strings, TABLES, waitText} from '/customer/strings.js';
import {rememberLanguage} from '/shared/i18n.js';
import {speak} from '/shared/speech.js';

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */

const t = strings.t.bind(strings);
const ELDERLY_AGE = 60;

/**
 * The age shown by a resident ID number as typed (birth date in characters 7–14), or null.
 * Only for the page's type size: the server checks the number and decides the lane.
 * @param {string} raw
 * @param {Date} [today]
 * @returns {number|null}
 */
export function ageFromIdNumber(raw, today = new Date()) {
  const number = raw.replace(/\s+/g, '');
  const found = /^\d{6}(\d{4})(\d{2})(\d{2})\d{3}[\dXx]$/.exec(number);
  if (!found) {
    return null;
  }
  const [year, month, day] = [Number(found[1]), Number(found[2]), Number(found[3])];
  const birth = new Date(year, month - 1, day);
  if (birth.getMonth() !== month - 1 || birth > today || year < 1900) {
    return null;
  }
  const birthday = new Date(today.getFullYear(), month - 1, day);
  return today.getFullYear() - year - (today < birthday ? 1 : 0);
}

export class ElderlyMode {
  constructor() {
    this.on = false;
    /** @private the customer switched it themselves: automatic changes no longer apply */
    this.chosen = false;
    /** @private @type {number|null} last position spoken */
    this.spokenPosition = null;
    this.toggle = document.createElement('button');
    this.toggle.type = 'button';
    this.toggle.className = 'button secondary';
    this.toggle.dataset.testid = 'elderly-toggle';
    this.language = document.createElement('button');
    this.language.type = 'button';
    this.language.className = 'button secondary';
    this.language.dataset.testid = 'lang-toggle';
    this.language.lang = strings.lang === 'en' ? 'zh-CN' : 'en';
    this.language.textContent = t('lang.switch');
    const tools = document.createElement('div');
    tools.className = 'topbar-tools';
    tools.append(this.toggle, this.language);
    document.querySelector('.topbar')?.append(tools);
    this.toggle.addEventListener('click', () => {
      this.chosen = true;
      this.set(!this.on);
    });
    this.language.addEventListener('click', () => {
      const next = Object.keys(TABLES).find((lang) => lang !== strings.lang) ?? strings.lang;
      rememberLanguage(next);
      const url = new URL(location.href);
      url.searchParams.set('lang', next);
      location.assign(url.toString());
    });
    document.querySelector('[data-testid="talk-now"]')?.addEventListener('click', () => this.say(t('talk_now.spoken')));
    document.querySelector('[data-testid="resident-id"]')?.addEventListener('input', (event) => {
      const age = ageFromIdNumber(/** @type {HTMLInputElement} */ (event.target).value);
      this.automatic(age !== null && age >= ELDERLY_AGE);
    });
    this.set(false);
  }

  /**
   * @param {boolean} on
   */
  set(on) {
    this.on = on;
    document.documentElement.dataset.elderly = on ? 'on' : 'off';
    // Mirrored to the teller with the app area, so that the mirror uses the same type size.
    document.querySelector('[data-testid="app"]')?.setAttribute('data-elderly', on ? 'on' : 'off');
    this.toggle.dataset.state = on ? 'on' : 'off';
    this.toggle.setAttribute('aria-pressed', String(on));
    this.toggle.textContent = t(on ? 'elderly.toggle_on' : 'elderly.toggle_off');
    if (on) {
      speak(t('elderly.on_spoken'), strings.lang);
    }
  }

  /** @param {boolean} on what the server says about the customer's age */
  automatic(on) {
    if (on && !this.on && !this.chosen) {
      this.set(true);
    }
  }

  /**
   * Speak what the page shows as it changes.
   * @param {SignalingClient} client
   */
  attach(client) {
    client.on('queue_update', (message) => {
      this.automatic(message.lane === 'elderly');
      if (this.on && message.position !== this.spokenPosition) {
        this.spokenPosition = message.position;
        const minutes = Math.max(1, Math.round(message.estimated_wait_seconds / 60));
        this.say(message.position <= 1 ? t('queue.next') :
          t('queue.position', {ahead: message.position - 1, minutes}));
      }
    });
    client.on('session_started', (message) => {
      this.spokenPosition = null;
      this.automatic(message.elderly === true);
      this.say(t('call.started', {name: message.peer.display_name}));
    });
    client.on('session_ended', () => this.say(t('call.ended')));
    client.on('leg_state', (message) => {
      if (message.leg === 'teller') {
        this.say(t(message.state === 'lost' ? 'status.teller_reconnecting' : 'call.resumed'));
      }
    });
    client.on('callback_offer', (message) => {
      this.say(t('callback.eta', {wait: waitText(message.estimated_wait_seconds)}));
    });
  }

  /**
   * Speak `text` in the page language when the mode is on.
   * @param {string} text
   */
  say(text) {
    if (this.on) {
      speak(text, strings.lang);
    }
  }
}
