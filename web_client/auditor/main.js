/**
 * Auditor console: sign in (role `auditor`, over HTTP: docs/auditing.md), search records, open one
 * with a stated reason (written to the access log), load the private key file, then verify and
 * replay the record in this page: Ed25519 signature, hash chain, RSA-OAEP unwrap and AES-GCM
 * decryption of every chunk with WebCrypto; both parties' videos side by side through Media Source
 * Extensions, with the event timeline beside them.
 *
 * Integrity (`integrity-status`, `data-state`): `checking` while loading, `verified` once the
 * signature, the chain and every chunk's hash and tag checked out, `tampered` at the first failure
 * (the replay stops at once and is emptied: never a partial replay without the warning).
 * Every chunk is checked before its plaintext is used; the background pass checks the rest.
 * `integrity-status[data-reason]` names the failed check (`chunk_altered`, `signature_invalid`…).
 *
 * Chinese by default, English with `?lang=en` (auditor/strings.js); codes stay in `data-*`.
 */

import {ApiError, getBytes, getJson, recordPath, send} from '/auditor/api.js';
import {showAccessLog} from '/auditor/access-log.js';
import {
  KeyError,
  TamperError,
  importAuditorKey,
  openChunk,
  parseManifest,
  unwrapDataKey,
  verifyChain,
  verifySignature,
} from '/auditor/record-crypto.js';
import {RedecidePanel} from '/auditor/redecide.js';
import {DualReplay, StreamPlayer} from '/auditor/replay.js';
import {BUSINESSES, businessName, serverErrorText, strings, t, tOr} from '/auditor/strings.js';
import {highlightTimeline, renderTimeline} from '/auditor/timeline.js';
import {byId, byTestId, setNotice} from '/shared/dom.js';
import {applyPageLanguage} from '/shared/page-language.js';
import {SignalingError} from '/shared/signaling.js';
import {bindLoginForm, loginForm} from '/shared/staff-login.js';
import {formatDuration} from '/shared/time.js';

/** @typedef {import('/auditor/record-crypto.js').ChunkEntry} ChunkEntry */
/** @typedef {import('/auditor/record-crypto.js').Manifest} Manifest */
/** @typedef {import('/auditor/timeline.js').TimelineEvent} TimelineEvent */
/** @typedef {import('/shared/staff-login.js').Credentials} Credentials */

/**
 * @typedef {object} RecordSummary as `GET /api/records` lists it
 * @property {string} record_id
 * @property {string} business
 * @property {string|null} teller
 * @property {string|null} customer_id
 * @property {number} start_us
 * @property {number} end_us
 * @property {string|null} outcome
 * @property {string|null} verification
 */

const STREAMS = /** @type {const} */ (['customer', 'teller']);

applyPageLanguage(strings);

const ui = {
  name: byId('auditor-name', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  notice: byId('notice', HTMLElement),
  login: loginForm(byId('login-form', HTMLFormElement)),
  console: byId('console', HTMLElement),
  searchForm: byTestId('search-form', HTMLFormElement),
  searchError: byTestId('search-error', HTMLElement),
  business: byTestId('search-business', HTMLSelectElement),
  results: byTestId('results-table', HTMLTableElement),
  resultRows: byId('result-rows', HTMLTableSectionElement),
  openPanel: byTestId('open-panel', HTMLElement),
  openForm: byId('open-form', HTMLFormElement),
  openRecordId: byTestId('open-record-id', HTMLElement),
  openReason: byTestId('open-reason', HTMLTextAreaElement),
  openError: byTestId('open-error', HTMLElement),
  openConfirm: byTestId('open-confirm', HTMLButtonElement),
  openCancel: byTestId('open-cancel', HTMLButtonElement),
  replay: byTestId('replay', HTMLElement),
  replayRecordId: byId('replay-record-id', HTMLElement),
  integrity: byTestId('integrity-status', HTMLElement),
  integrityText: byId('integrity-text', HTMLElement),
  problems: byTestId('integrity-problems', HTMLUListElement),
  keyFile: byTestId('key-file', HTMLInputElement),
  keyStatus: byTestId('key-status', HTMLElement),
  videos: {
    customer: byTestId('replay-customer', HTMLVideoElement),
    teller: byTestId('replay-teller', HTMLVideoElement),
  },
  play: byTestId('replay-play', HTMLButtonElement),
  sound: byTestId('replay-sound', HTMLButtonElement),
  seek: byTestId('replay-seek', HTMLInputElement),
  clock: byTestId('replay-clock', HTMLElement),
  timeline: byTestId('timeline', HTMLOListElement),
  accessRows: byId('access-rows', HTMLTableSectionElement),
  accessTable: byTestId('access-log', HTMLTableElement),
  accessStatus: byTestId('access-log-status', HTMLElement),
  accessRefresh: byTestId('access-log-refresh', HTMLButtonElement),
};
const redecide = new RedecidePanel(ui.timeline.parentElement ?? ui.timeline);

/**
 * @typedef {object} Loaded one opened record, from the open until another one or sign-out
 * @property {number} id increases per load: work of an older load is dropped
 * @property {string} recordId
 * @property {Manifest|null} manifest
 * @property {DualReplay|null} replay
 * @property {StreamPlayer[]} players
 * @property {boolean} failed
 */

const page = {
  /** @type {{key: CryptoKey, keyId: string}|null} the auditor's private key: in memory only */
  auditorKey: null,
  /** @type {string|null} record chosen in the results, waiting for a reason */
  choosing: null,
  /** @type {Loaded|null} */
  loaded: null,
  loads: 0,
};

// --- sign-in -----------------------------------------------------------------------------------------

/**
 * @param {Credentials} credentials
 * @returns {Promise<void>}
 */
async function signIn({username, password}) {
  let who;
  try {
    who = await send('/api/session', 'POST', {username, password});
  } catch (error) {
    if (error instanceof ApiError) {
      throw new SignalingError(error.code, error.message);
    }
    throw error;
  }
  if (who.role !== 'auditor') {
    await send('/api/session', 'DELETE').catch(() => undefined);
    throw new SignalingError('forbidden', 'this console is for auditors only');
  }
  showConsole(who.display_name || who.username);
}

/** @param {string} name */
function showConsole(name) {
  ui.name.textContent = name;
  ui.login.form.hidden = true;
  ui.console.hidden = false;
  ui.signOut.hidden = false;
  void search();
  void showAccessLog(ui.accessRows, ui.accessTable, ui.accessStatus);
}

async function signOut() {
  closeRecord();
  page.auditorKey = null;
  await send('/api/session', 'DELETE').catch(() => undefined);
  ui.console.hidden = true;
  ui.signOut.hidden = true;
  ui.login.form.hidden = false;
  ui.name.textContent = '';
  ui.resultRows.replaceChildren();
  ui.accessRows.replaceChildren();
}

// --- search ------------------------------------------------------------------------------------------

/** @returns {URLSearchParams} the form's filled fields as API parameters */
function searchParams() {
  const params = new URLSearchParams();
  const form = new FormData(ui.searchForm);
  for (const [key, value] of form) {
    const text = String(value).trim();
    if (!text) {
      continue;
    }
    // datetime-local gives local time without an offset: send an absolute time.
    params.set(key, key === 'from' || key === 'to' ? new Date(text).toISOString() : text);
  }
  return params;
}

async function search() {
  setNotice(ui.searchError, '');
  let answer;
  try {
    answer = await getJson(`/api/records?${searchParams()}`);
  } catch (error) {
    setNotice(ui.searchError, error instanceof ApiError ? serverErrorText(error.code, error.message) :
      t('search.failed'), 'error');
    return;
  }
  renderResults(/** @type {RecordSummary[]} */ (answer.records), answer.invalid ?? []);
}

/**
 * @param {RecordSummary[]} records
 * @param {{record_id: string, status: string}[]} invalid sealed records whose signature fails
 */
function renderResults(records, invalid) {
  ui.resultRows.replaceChildren();
  for (const bad of invalid) {
    const row = document.createElement('tr');
    row.dataset.recordId = bad.record_id;
    row.dataset.status = bad.status;
    row.className = 'invalid';
    const cell = document.createElement('td');
    cell.colSpan = 7;
    cell.textContent = t('results.invalid', {record: bad.record_id});
    row.append(cell, openCell(bad.record_id));
    ui.resultRows.append(row);
  }
  for (const record of records) {
    const row = document.createElement('tr');
    row.dataset.recordId = record.record_id;
    const verification = record.verification ?? 'none';
    row.dataset.verification = verification;
    row.dataset.business = record.business;
    row.dataset.outcome = record.outcome ?? '';
    /** @type {[string, Record<string, string>][]} text and the cell's data-* (the codes behind it) */
    const cells = [
      [new Date(record.start_us / 1000).toLocaleString(strings.lang), {}],
      [businessName(record.business), {business: record.business}],
      [record.teller ?? '—', {}],
      [record.customer_id ?? '—', {}],
      [tOr(`verification.${verification}`, verification), {verification}],
      [record.outcome ? tOr(`outcome.${record.outcome}`, record.outcome) : t('outcome.none'),
        {outcome: record.outcome ?? ''}],
      [formatDuration((record.end_us - record.start_us) / 1e6), {}],
    ];
    cells.forEach(([text, data], i) => {
      const cell = document.createElement('td');
      cell.textContent = text;
      Object.assign(cell.dataset, data);
      if (i === 6) {
        cell.className = 'num';
      }
      row.append(cell);
    });
    row.append(openCell(record.record_id));
    ui.resultRows.append(row);
  }
  ui.results.dataset.count = String(records.length + invalid.length);
  ui.results.dataset.invalid = String(invalid.length);
}

/**
 * @param {string} recordId
 * @returns {HTMLTableCellElement} a cell with the record's Open button
 */
function openCell(recordId) {
  const action = document.createElement('td');
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'button secondary';
  open.dataset.testid = 'open-record';
  open.textContent = t('results.open');
  open.addEventListener('click', () => chooseRecord(recordId));
  action.append(open);
  return action;
}

// --- open with a reason --------------------------------------------------------------------------------

/** @param {string} recordId */
function chooseRecord(recordId) {
  page.choosing = recordId;
  ui.openRecordId.textContent = recordId;
  ui.openReason.value = '';
  setNotice(ui.openError, '');
  ui.openPanel.hidden = false;
  ui.openReason.focus();
}

async function confirmOpen() {
  const recordId = page.choosing;
  if (!recordId) {
    return;
  }
  const reason = ui.openReason.value.trim();
  if (reason.length < 5) {
    setNotice(ui.openError, t('open.reason_short'), 'error');
    return;
  }
  ui.openConfirm.disabled = true;
  try {
    await send(recordPath(recordId, 'open'), 'POST', {reason});
  } catch (error) {
    setNotice(ui.openError, error instanceof ApiError ? serverErrorText(error.code, error.message) :
      t('open.failed'), 'error');
    return;
  } finally {
    ui.openConfirm.disabled = false;
  }
  ui.openPanel.hidden = true;
  page.choosing = null;
  void showAccessLog(ui.accessRows, ui.accessTable, ui.accessStatus);
  startRecord(recordId);
}

// --- loading, verifying, replaying -----------------------------------------------------------------------

/**
 * @param {'idle'|'checking'|'verified'|'tampered'|'error'} state
 * @param {string} text
 * @param {string} [reason] the failed check's code (`tampered`, `error`)
 */
function setIntegrity(state, text, reason = '') {
  ui.integrity.dataset.state = state;
  ui.integrity.dataset.reason = reason;
  ui.integrityText.textContent = text;
}

/**
 * What went wrong, in the page language: record-crypto and replay errors by their code, the
 * server's by its error code.
 * @param {unknown} error
 * @returns {{code: string, text: string}}
 */
function problemOf(error) {
  if (error instanceof TamperError || error instanceof KeyError) {
    return {code: error.code, text: tOr(`crypto.${error.code}`, error.message, error.params)};
  }
  if (error instanceof ApiError) {
    return {code: error.code, text: serverErrorText(error.code, error.message)};
  }
  const detail = error instanceof Error ? error.message : String(error);
  return {code: 'unknown', text: t('crypto.unknown', {detail})};
}

/** Stop and forget the current record (its key and plaintext go with it). */
function closeRecord() {
  for (const player of page.loaded?.players ?? []) {
    player.stop();
  }
  page.loaded = null;
  page.loads += 1;
  ui.replay.hidden = true;
  ui.replay.dataset.state = 'idle';
  ui.timeline.replaceChildren();
  ui.timeline.dataset.count = '0';
  redecide.clear();
  setControls(false);
}

/** @param {string} recordId */
function startRecord(recordId) {
  closeRecord();
  page.loaded = {id: page.loads, recordId, manifest: null, replay: null, players: [], failed: false};
  ui.replay.hidden = false;
  ui.replay.dataset.recordId = recordId;
  ui.replayRecordId.textContent = recordId;
  ui.problems.replaceChildren();
  ui.problems.hidden = true;
  if (page.auditorKey) {
    void loadRecord(page.loaded);
  } else {
    setIntegrity('idle', t('integrity.load_key'));
    ui.keyFile.focus();
  }
}

async function loadKeyFile() {
  const file = ui.keyFile.files?.[0];
  if (!file) {
    return;
  }
  ui.keyStatus.dataset.state = 'loading';
  ui.keyStatus.textContent = t('key.reading');
  try {
    page.auditorKey = await importAuditorKey(await file.text());
  } catch (error) {
    page.auditorKey = null;
    ui.keyStatus.dataset.state = 'error';
    ui.keyStatus.dataset.reason = error instanceof KeyError ? error.code : 'unknown';
    ui.keyStatus.textContent = error instanceof KeyError ? problemOf(error).text : t('key.unreadable');
    return;
  } finally {
    ui.keyFile.value = ''; // the file's content is not kept
  }
  ui.keyStatus.dataset.state = 'loaded';
  ui.keyStatus.dataset.reason = '';
  ui.keyStatus.textContent = t('key.loaded', {key: page.auditorKey.keyId.slice(0, 16)});
  if (page.loaded && !page.loaded.replay) {
    void loadRecord(page.loaded);
  }
}

/**
 * @param {Loaded} loaded
 * @param {unknown} error
 */
function fail(loaded, error) {
  if (page.loaded !== loaded || loaded.failed) {
    return;
  }
  loaded.failed = true;
  for (const player of loaded.players) {
    player.stop();
  }
  setControls(false);
  ui.replay.dataset.state = 'stopped';
  const problem = problemOf(error);
  const item = document.createElement('li');
  item.textContent = problem.text;
  item.dataset.reason = problem.code;
  ui.problems.append(item);
  ui.problems.hidden = false;
  if (error instanceof TamperError) {
    setIntegrity('tampered', t('integrity.tampered', {problem: problem.text}), problem.code);
  } else {
    setIntegrity('error', t('integrity.error', {problem: problem.text}), problem.code);
  }
}

/**
 * Fetch a chunk by its manifest entry and check it; a missing chunk counts as tampering.
 * @param {string} recordId
 * @param {ChunkEntry} entry
 * @param {CryptoKey} dataKey
 * @returns {Promise<Uint8Array>}
 */
async function fetchChunk(recordId, entry, dataKey) {
  let file;
  try {
    file = await getBytes(recordPath(recordId, `chunks/${entry.index}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      throw new TamperError('chunk_missing', `Chunk ${entry.index} is missing.`, {index: entry.index});
    }
    throw error;
  }
  return openChunk(file, entry, recordId, dataKey);
}

/** @param {Loaded} loaded */
async function loadRecord(loaded) {
  const auditor = page.auditorKey;
  if (!auditor) {
    return;
  }
  const {recordId} = loaded;
  const current = () => page.loaded === loaded && !loaded.failed;
  ui.replay.dataset.state = 'loading';
  setIntegrity('checking', t('integrity.checking_signature'));
  try {
    const [manifestBytes, signature, header, keys] = await Promise.all([
      getBytes(recordPath(recordId, 'manifest')),
      getBytes(recordPath(recordId, 'signature')),
      getBytes(recordPath(recordId, 'header')),
      getJson('/api/records/signing-keys'),
    ]);
    const signingKeyId = await verifySignature(manifestBytes, signature, keys.keys);
    const manifest = parseManifest(manifestBytes);
    if (manifest.record_id !== recordId) {
      throw new TamperError('other_record', 'The manifest belongs to another record.');
    }
    await verifyChain(manifest, header);
    loaded.manifest = manifest;
    let wrap;
    try {
      wrap = await getJson(recordPath(recordId, `keys/${auditor.keyId}`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        throw new KeyError('not_your_key', 'This record was not encrypted to your key (it names other auditors).');
      }
      throw error;
    }
    const dataKey = await unwrapDataKey(wrap, header, auditor);
    if (!current()) {
      return;
    }
    setIntegrity('checking', t('integrity.checking_chunks', {key: signingKeyId.slice(0, 16)}));

    /** @type {TimelineEvent[]} */
    const events = [];
    for (const entry of manifest.chunks.filter((c) => c.type === 'timeline')) {
      const batch = JSON.parse(new TextDecoder().decode(await fetchChunk(recordId, entry, dataKey)));
      events.push(...batch.events);
    }
    const load = (/** @type {ChunkEntry} */ entry) => fetchChunk(recordId, entry, dataKey);
    const onError = (/** @type {unknown} */ error) => fail(loaded, error);
    const duration = (manifest.time_range.end_us - manifest.opened_at_us) / 1e6;
    const players = STREAMS.map(
      (stream) =>
        new StreamPlayer(
          ui.videos[stream],
          manifest.chunks.filter((c) => c.type === 'media' && c.stream === stream),
          manifest.opened_at_us,
          load,
          onError,
        ),
    );
    loaded.players = players;
    await Promise.all(players.map((p) => p.attach(duration)));
    if (!current()) {
      return;
    }
    const replay = new DualReplay(players, duration);
    loaded.replay = replay;
    renderTimeline(ui.timeline, events, manifest.opened_at_us, (at) => void seekTo(loaded, at));
    redecide.show(recordId, events);
    ui.seek.max = String(duration);
    await seekTo(loaded, replay.startTime);
    if (!current()) {
      return;
    }
    setControls(true);
    ui.replay.dataset.state = 'ready';
    await replay.play().catch(() => undefined);
    void checkAllChunks(loaded, manifest, dataKey);
  } catch (error) {
    fail(loaded, error);
  }
}

/**
 * The background pass: fetch and check every chunk not yet checked; then the record is verified.
 * @param {Loaded} loaded
 * @param {Manifest} manifest
 * @param {CryptoKey} dataKey
 */
async function checkAllChunks(loaded, manifest, dataKey) {
  try {
    let done = 0;
    for (const entry of manifest.chunks) {
      if (page.loaded !== loaded || loaded.failed) {
        return;
      }
      await fetchChunk(loaded.recordId, entry, dataKey);
      done += 1;
      if (done % 20 === 0) {
        setIntegrity('checking', t('integrity.checked', {done, total: manifest.chunks.length}));
      }
    }
    if (page.loaded === loaded && !loaded.failed) {
      setIntegrity('verified', t('integrity.verified', {total: manifest.chunks.length}));
    }
  } catch (error) {
    fail(loaded, error);
  }
}

/**
 * @param {Loaded} loaded
 * @param {number} t media time, s
 */
async function seekTo(loaded, t) {
  const replay = loaded.replay;
  if (!replay || loaded.failed) {
    return;
  }
  ui.replay.dataset.seeking = 'true';
  try {
    await replay.seek(t);
  } catch (error) {
    fail(loaded, error);
    return;
  }
  ui.replay.dataset.seeking = 'false';
  ui.replay.dataset.seekMs = replay.lastSeekMs.toFixed(1);
  ui.replay.dataset.position = replay.currentTime.toFixed(3);
  updateClock();
}

/** @param {boolean} enabled */
function setControls(enabled) {
  ui.play.disabled = !enabled;
  ui.sound.disabled = !enabled;
  ui.seek.disabled = !enabled;
}

function updateClock() {
  const replay = page.loaded?.replay;
  if (!replay) {
    return;
  }
  const position = replay.currentTime;
  ui.clock.textContent = `${formatDuration(position)} / ${formatDuration(replay.duration)}`;
  ui.play.textContent = t(replay.paused ? 'replay.play' : 'replay.pause');
  if (document.activeElement !== ui.seek) {
    ui.seek.value = String(position);
  }
  highlightTimeline(ui.timeline, position);
}

// --- wiring ----------------------------------------------------------------------------------------------

for (const value of BUSINESSES) {
  const option = document.createElement('option');
  option.value = value;
  option.textContent = businessName(value);
  ui.business.append(option);
}

bindLoginForm(ui.login, signIn);
ui.signOut.addEventListener('click', () => void signOut());
ui.searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void search();
});
ui.openForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void confirmOpen();
});
ui.openCancel.addEventListener('click', () => {
  page.choosing = null;
  ui.openPanel.hidden = true;
});
ui.keyFile.addEventListener('change', () => void loadKeyFile());
ui.accessRefresh.addEventListener('click', () => {
  void showAccessLog(ui.accessRows, ui.accessTable, ui.accessStatus);
});
ui.play.addEventListener('click', () => {
  const replay = page.loaded?.replay;
  if (replay) {
    if (replay.paused) {
      void replay.play().catch(() => undefined);
    } else {
      replay.pause();
    }
    updateClock();
  }
});
ui.sound.addEventListener('click', () => {
  const muted = !ui.videos.customer.muted;
  for (const video of Object.values(ui.videos)) {
    video.muted = muted;
  }
  ui.sound.textContent = t(muted ? 'replay.sound_on' : 'replay.sound_off');
});
ui.seek.addEventListener('change', () => {
  if (page.loaded) {
    void seekTo(page.loaded, Number(ui.seek.value));
  }
});
ui.videos.customer.addEventListener('timeupdate', () => {
  updateClock();
  page.loaded?.replay?.sync();
});

getJson('/api/session')
  .then((who) => {
    if (who.signed_in && who.role === 'auditor') {
      showConsole(who.display_name || who.username);
    }
  })
  .catch((error) => {
    setNotice(ui.notice, error instanceof ApiError ? serverErrorText(error.code, error.message) :
      t('error.network'), 'error');
  });
