/**
 * The customer's side of a liveness check, over the stage: while the check runs the self-view fills
 * the stage and one large prompt at a time (`challenge-prompt`, with `data-action`) sits over it —
 * always in view, never below the fold — spoken aloud in the page language; plain guidance when the
 * camera cannot see the face well; at the end only whether it worked (`verification-status`),
 * kept until it has been read and the next step needs the screen (or `verification-ok`), then the
 * teller is large again. The
 * page sends nothing: the server decides from the video it receives.
 *
 * Hooks: `verification-panel` (`data-state` `running`|`done`, hidden otherwise),
 * `challenge-prompt` (`data-action`, `data-index`, `data-try`), `verification-guidance`
 * (`data-issue`), `verification-status` (`data-status` `passed`|`teller_check`|`busy`|`interrupted`|`failed`; `busy`: the server could not analyse
 * the video fast enough, which says nothing about the customer),
 * `verification-ok`.
 *
 * @module customer/verification-view
 */

import {readMs} from '/customer/call-screen.js';
import {Strings, chooseLanguage} from '/shared/i18n.js';
import {speak} from '/shared/speech.js';

/** @type {Record<string, import('/shared/i18n.js').StringTable>} */
const TABLES = {
  'zh-CN': {
    'verify.title': '身份核验',
    'verify.started': '请正对摄像头，按提示做动作。',
    'verify.step': '第 {index} 步，共 {total} 步',
    'verify.blink': '请眨眨眼睛',
    'verify.open_mouth': '请张开嘴巴',
    'verify.turn_left': '请慢慢向左转头',
    'verify.turn_right': '请慢慢向右转头',
    'verify.nod': '请点点头',
    'verify.again': '请再做一次：',
    'verify.passed': '核验通过，谢谢您。',
    'verify.teller_check': '谢谢您，柜员将完成核验。',
    'verify.failed': '这次没有核验成功，柜员会告诉您下一步怎么做。',
    'verify.busy': '系统正忙，这次没有完成核验（不是您的问题）。请稍候，柜员会再试一次。',
    'verify.interrupted': '连接中断，这次核验已中止（不是您的问题）。柜员会重新开始核验。',
    'verify.ok': '知道了',
    'verify.bar': '身份核验：请按视频上的提示做',
    'verify.bar_done': '身份核验已结束',
    'guide.no_face': '看不到您的脸，请看着摄像头。',
    'guide.several_faces': '画面里只能有您一个人。',
    'guide.off_frame': '请把整张脸放在屏幕中间。',
    'guide.too_far': '请靠近一点。',
    'guide.too_close': '请离远一点。',
    'guide.too_dark': '光线太暗，请到亮一点的地方。',
    'guide.too_bright': '光线太亮，请避开强光。',
    'guide.low_contrast': '画面不清楚，请换个光线好的地方。',
    'guide.blurry': '画面模糊，请拿稳手机。',
    'guide.not_frontal': '请正对摄像头。',
  },
  en: {
    'verify.title': 'Identity check',
    'verify.started': 'Please face the camera and follow the instructions.',
    'verify.step': 'Step {index} of {total}',
    'verify.blink': 'Please blink your eyes',
    'verify.open_mouth': 'Please open your mouth',
    'verify.turn_left': 'Please turn your head slowly to your left',
    'verify.turn_right': 'Please turn your head slowly to your right',
    'verify.nod': 'Please nod your head',
    'verify.again': 'Once more: ',
    'verify.passed': 'Thank you, your identity is confirmed.',
    'verify.teller_check': 'Thank you. The teller will finish the check.',
    'verify.failed': 'The check did not succeed this time. Your teller will tell you what to do next.',
    'verify.busy': 'Our system was too busy to finish the check. This is not your fault: please wait, your teller will try again.',
    'verify.interrupted': 'The connection was interrupted, so the check stopped. This is not your fault: your teller will start it again.',
    'verify.ok': 'OK',
    'verify.bar': 'Identity check: follow the prompts on the video',
    'verify.bar_done': 'The identity check is over',
    'guide.no_face': 'We cannot see your face. Please look at the camera.',
    'guide.several_faces': 'Only one person should be in view.',
    'guide.off_frame': 'Please keep your whole face in the middle of the screen.',
    'guide.too_far': 'Please come a little closer.',
    'guide.too_close': 'Please move a little further away.',
    'guide.too_dark': 'It is too dark. Please find more light.',
    'guide.too_bright': 'It is too bright. Please avoid strong light behind or on you.',
    'guide.low_contrast': 'The picture is unclear. Please find better light.',
    'guide.blurry': 'The picture is blurred. Please hold the phone still.',
    'guide.not_frontal': 'Please look straight at the camera.',
  },
};

const strings = new Strings(TABLES, chooseLanguage(Object.keys(TABLES)));
const ACTIONS = new Set(['blink', 'open_mouth', 'turn_left', 'turn_right', 'nod']);
/** How long a result stays when nothing comes after it. */
const RESULT_ALONE_MS = 10_000;

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */
/**
 * Where the check is shown: the phone's call screen (`customer/call-screen.js`), or any page with a
 * place for it (the field tablet's review column).
 * @typedef {object} CheckScreen
 * @property {HTMLElement} stage the panel goes into it
 * @property {(mode: 'call'|'check'|'result', barText?: string) => void} setStageMode
 * @property {{shown: (source: string, kind: import('/customer/call-screen.js').EntryKind, code: string,
 *   holdMs: number) => HTMLLIElement|null, hidden: (entry: HTMLLIElement|null,
 *   by?: import('/customer/call-screen.js').HiddenBy) => void}} log what was shown when
 * @property {(minMs: number, end: () => void) => void} holdResult the result stays at least `minMs`
 */

export class VerificationView {
  /** @param {CheckScreen} screen where the panel goes (on the phone: over the call's stage) */
  constructor(screen) {
    /** @private */ this.screen = screen;
    this.root = document.createElement('section');
    this.root.className = 'verification';
    this.root.dataset.testid = 'verification-panel';
    this.root.hidden = true;
    this.root.setAttribute('aria-live', 'assertive');
    const title = document.createElement('p');
    title.className = 'verification-title';
    title.textContent = strings.t('verify.title');
    this.step = document.createElement('p');
    this.step.className = 'verification-step';
    this.prompt = document.createElement('p');
    this.prompt.className = 'challenge-prompt';
    this.prompt.dataset.testid = 'challenge-prompt';
    this.guidance = document.createElement('p');
    this.guidance.className = 'verification-guidance';
    this.guidance.dataset.testid = 'verification-guidance';
    this.guidance.hidden = true;
    this.status = document.createElement('p');
    this.status.className = 'verification-status';
    this.status.dataset.testid = 'verification-status';
    this.status.hidden = true;
    this.ok = document.createElement('button');
    this.ok.type = 'button';
    this.ok.className = 'button secondary verification-ok';
    this.ok.dataset.testid = 'verification-ok';
    this.ok.textContent = strings.t('verify.ok');
    this.ok.hidden = true;
    this.ok.addEventListener('click', () => this.close('customer'));
    this.root.append(title, this.step, this.prompt, this.guidance, this.status, this.ok);
    screen.stage.append(this.root);
    /** @type {number} */
    this.total = 0;
    /** @type {string|null} */
    this.attempt = null;
    /** @private @type {HTMLLIElement|null} */ this.entry = null;
    /** @private @type {ReturnType<typeof setTimeout>|undefined} */ this.timer = undefined;
  }

  /** @param {SignalingClient} client */
  attach(client) {
    client.on('verification_started', (m) => this.started(m.attempt, m.challenges));
    client.on('verification_prompt', (m) => this.prompted(m));
    client.on('verification_guidance', (m) => this.guided(m));
    client.on('verification_result', (m) => this.finished(m));
    client.on('session_ended', () => this.hide());
  }

  /**
   * @param {string} attempt
   * @param {number} total
   */
  started(attempt, total) {
    clearTimeout(this.timer);
    this.screen.log.hidden(this.entry);
    this.attempt = attempt;
    this.total = total;
    this.root.hidden = false;
    this.root.dataset.state = 'running';
    this.screen.setStageMode('check', strings.t('verify.bar'));
    this.step.textContent = '';
    this.prompt.textContent = strings.t('verify.started');
    delete this.prompt.dataset.action;
    this.guidance.hidden = true;
    this.status.hidden = true;
    this.ok.hidden = true;
    this.entry = this.screen.log.shown('verification', 'prompt', 'started', 0);
    speak(this.prompt.textContent, strings.lang);
  }

  /** @param {{attempt: string, index: number, action: string, attempt_try: number, text: string}} m */
  prompted(m) {
    if (m.attempt !== this.attempt || !ACTIONS.has(m.action)) return;
    const text = (m.attempt_try > 1 ? strings.t('verify.again') : '') + strings.t(`verify.${m.action}`);
    this.step.textContent = strings.t('verify.step', {index: m.index + 1, total: this.total});
    this.prompt.textContent = text;
    this.prompt.dataset.action = m.action;
    this.prompt.dataset.index = String(m.index);
    this.prompt.dataset.try = String(m.attempt_try);
    this.guidance.hidden = true;
    this.screen.log.hidden(this.entry);
    this.entry = this.screen.log.shown('verification', 'prompt', m.action, 0);
    speak(text, strings.lang);
  }

  /** @param {{attempt: string, issue: string, message: string}} m */
  guided(m) {
    if (m.attempt !== this.attempt) return;
    const key = `guide.${m.issue}`;
    const text = strings.t(key);
    this.guidance.textContent = text === key ? strings.t('verify.started') : text;
    this.guidance.dataset.issue = m.issue;
    this.guidance.hidden = false;
    speak(this.guidance.textContent, strings.lang);
  }

  /** @param {{attempt: string, status?: string, message?: string}} m */
  finished(m) {
    if (m.attempt !== this.attempt || !m.status) return;
    this.root.dataset.state = 'done';
    this.step.textContent = '';
    this.prompt.textContent = '';
    delete this.prompt.dataset.action;
    this.guidance.hidden = true;
    const known = ['passed', 'teller_check', 'busy', 'interrupted', 'failed'].includes(m.status) ? m.status : 'failed';
    // The server's message is English and names no reason: the page says what to do next itself.
    const text = strings.t(`verify.${known}`);
    this.status.textContent = text;
    this.status.dataset.status = known;
    this.status.hidden = false;
    this.ok.hidden = false;
    this.screen.setStageMode('result', strings.t('verify.bar_done'));
    this.screen.log.hidden(this.entry);
    const hold = readMs(text);
    this.entry = this.screen.log.shown('verification', 'result', known, hold);
    speak(text, strings.lang);
    // It stays until read and the next step needs the screen, or the customer taps OK; without a
    // next step (a check outside a business flow) it goes after a while by itself.
    this.screen.holdResult(hold, () => this.close('next'));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.close('next'), Math.max(hold, RESULT_ALONE_MS));
  }

  /**
   * Take the result away (after its reading time, the customer tapped OK, or the call ended).
   * @param {import('/customer/call-screen.js').HiddenBy} by
   */
  close(by) {
    clearTimeout(this.timer);
    this.screen.log.hidden(this.entry, by);
    this.entry = null;
    this.root.hidden = true;
    this.root.dataset.state = '';
    this.screen.setStageMode('call');
  }

  hide() {
    this.close('end');
    this.screen.setStageMode('call');
    this.attempt = null;
  }
}
