/**
 * The record's event timeline beside the videos: one item per event, `data-t` = media time in
 * seconds (server time minus the record's `opened_at_us`, the clock the videos use), clicking an
 * item seeks both videos there. Verification events show their scores.
 *
 * @module timeline
 */

import {t, tOr} from '/auditor/strings.js';
import {formatDuration} from '/shared/time.js';

/**
 * @typedef {object} TimelineEvent
 * @property {number} at_us server time, µs since the epoch
 * @property {string} kind
 * @property {string|null} actor
 * @property {Record<string, unknown>} data
 */

/** Numbers deeper than this inside an event's data are not listed. */
const MAX_DEPTH = 3;

/**
 * The numeric and short text facts of a verification event, e.g. `liveness 0.93`, `outcome pass`.
 * @param {unknown} value
 * @param {string} [path]
 * @param {number} [depth]
 * @returns {string[]}
 */
export function scoreFacts(value, path = '', depth = 0) {
  if (typeof value === 'number') {
    return [`${path} ${Number.isInteger(value) ? value : value.toFixed(3)}`];
  }
  if (typeof value === 'boolean' || (typeof value === 'string' && value.length <= 32 && path)) {
    return [`${path} ${value}`];
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
    return Object.entries(value).flatMap(([key, inner]) =>
      scoreFacts(inner, path ? `${path}.${key}` : key, depth + 1),
    );
  }
  return [];
}

/**
 * The keyframes a verification decision used (JPEGs kept only inside the encrypted record).
 * @param {Record<string, unknown>} data
 * @returns {HTMLElement}
 */
function keyframeStrip(data) {
  const strip = document.createElement('p');
  strip.className = 'keyframes';
  strip.dataset.testid = 'timeline-keyframes';
  const frames = Array.isArray(data.keyframes) ? data.keyframes : [];
  for (const frame of frames) {
    const jpeg = frame && typeof frame === 'object' ? frame.jpeg_base64 : null;
    if (typeof jpeg !== 'string' || !/^[A-Za-z0-9+/=]+$/.test(jpeg)) continue;
    const img = document.createElement('img');
    img.src = `data:image/jpeg;base64,${jpeg}`;
    img.alt = t('timeline.keyframe', {seconds: Number(frame.at).toFixed(1)});
    img.width = 96;
    strip.append(img);
  }
  return strip;
}

/**
 * Fill the timeline list.
 * @param {HTMLOListElement} list
 * @param {TimelineEvent[]} events in record order
 * @param {number} openedAtUs
 * @param {(t: number) => void} onSeek
 */
export function renderTimeline(list, events, openedAtUs, onSeek) {
  list.replaceChildren();
  for (const event of events) {
    const at = (event.at_us - openedAtUs) / 1e6;
    const item = document.createElement('li');
    item.dataset.t = at.toFixed(3);
    item.dataset.kind = event.kind;
    item.dataset.testid = 'timeline-event';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'timeline-seek';
    const clock = document.createElement('span');
    clock.className = 'clock';
    clock.textContent = formatDuration(Math.max(0, at));
    const kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = tOr(`event.${event.kind}`, event.kind.replaceAll('_', ' '));
    kind.dataset.kind = event.kind;
    button.append(clock, kind);
    if (event.actor) {
      const actor = document.createElement('span');
      actor.className = 'actor';
      actor.dataset.actor = event.actor;
      actor.textContent = tOr(`timeline.actor.${event.actor}`, event.actor);
      button.append(actor);
    }
    button.addEventListener('click', () => onSeek(at));
    item.append(button);
    if (event.kind === 'verification_keyframes') {
      item.append(keyframeStrip(event.data));
    } else if (event.kind.startsWith('verification')) {
      const facts = scoreFacts(event.data);
      if (facts.length) {
        const scores = document.createElement('p');
        scores.className = 'scores';
        scores.dataset.testid = 'timeline-scores';
        scores.textContent = facts.join(' · ');
        item.append(scores);
      }
    }
    list.append(item);
  }
  list.dataset.count = String(events.length);
}

/**
 * Mark the event nearest before the playhead.
 * @param {HTMLOListElement} list
 * @param {number} t media time, s
 */
export function highlightTimeline(list, t) {
  let current = null;
  for (const item of list.children) {
    if (item instanceof HTMLElement && Number(item.dataset.t) <= t + 0.05) {
      current = item;
    }
    item.classList.remove('current');
  }
  current?.classList.add('current');
}
