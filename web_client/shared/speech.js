// Spoken prompts for the customer page (queue status, liveness challenges, consents, flow steps).
// One place calls speechSynthesis, so the elderly mode can turn speech on for everything and tests can
// observe what was said by wrapping window.speechSynthesis before the page loads.

let enabled = true;

/** Turn speaking on or off (the page keeps showing every prompt as text either way). */
export function setSpeechEnabled(on) {
  enabled = Boolean(on);
  if (!enabled && "speechSynthesis" in window) window.speechSynthesis.cancel();
}

/**
 * Say `text` in `lang` (a BCP 47 tag such as "zh-CN" or "en"), replacing whatever is being said.
 * Returns false when the browser cannot speak or speech is off.
 */
export function speak(text, lang = document.documentElement.lang || "en") {
  if (!enabled || !text || !("speechSynthesis" in window)) return false;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = lang;
  utterance.rate = 0.9;
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(utterance);
  return true;
}
