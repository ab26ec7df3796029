// Init script of the browser tests' reacting camera (tests/browser/camera.py). Not part of the product.
//
// Replaces navigator.mediaDevices.getUserMedia: the video track comes from a <canvas> (captureStream)
// on which frames fetched from the test (binding __vbCameraFrame, a base64 JPEG) are drawn at up to
// __FPS__ frames/s, with up to IN_FLIGHT requests at a time; audio, when asked for, still comes from
// Chromium's fake microphone. Every new liveness prompt the page shows (challenge-prompt[data-action], with data-index
// and data-try) is reported to the test (binding __vbCameraPrompt) with the time it appeared, so that
// the face in the frames can react to it. Counters for the test are in window.__vbCamera.
(() => {
  'use strict';
  const FPS = __FPS__;
  const HOLD_RESOLUTION = __HOLD_RESOLUTION__;
  const IN_FLIGHT = 4;
  const WIDTH = 640;
  const HEIGHT = 480;
  const devices = navigator.mediaDevices;
  if (!devices || !devices.getUserMedia) return;
  const originalGetUserMedia = devices.getUserMedia.bind(devices);

  const stats = {drawn: 0, firstAt: 0, lastAt: 0, longestGapMs: 0, failures: 0, lastError: '', latencyMs: []};
  window.__vbCamera = stats;

  /** @type {Promise<MediaStreamTrack>|null} */
  let source = null;

  function decode(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return createImageBitmap(new Blob([bytes], {type: 'image/jpeg'}));
  }

  /** @returns {Promise<ImageBitmap>} the next frame from the test, decoded */
  async function fetchFrame() {
    const asked = performance.now();
    const bitmap = await decode(await window.__vbCameraFrame());
    if (stats.latencyMs.length < 20000) stats.latencyMs.push(performance.now() - asked);
    return bitmap;
  }

  function draw(context, bitmap) {
    context.drawImage(bitmap, 0, 0, WIDTH, HEIGHT);
    bitmap.close();
    const now = performance.now();
    if (stats.drawn === 0) stats.firstAt = now;
    else stats.longestGapMs = Math.max(stats.longestGapMs, now - stats.lastAt);
    stats.lastAt = now;
    stats.drawn += 1;
  }

  // A frame is asked for at every tick of FPS unless IN_FLIGHT are already on their way (then that
  // tick's frame is skipped, as a busy camera drops frames): the relay's latency does not cap the
  // rate. Frames are drawn in the order they were asked for, as soon as they arrive.
  function pump(context) {
    const arrived = new Map();
    let asked = 0;
    let drawn = 0;
    setInterval(() => {
      if (asked - drawn >= IN_FLIGHT) return;
      const number = asked++;
      fetchFrame().then(
          (bitmap) => arrived.set(number, {bitmap}),
          (error) => arrived.set(number, {error}),
      ).then(() => {
        while (arrived.has(drawn)) {
          const {bitmap, error} = arrived.get(drawn);
          arrived.delete(drawn);
          drawn += 1;
          if (bitmap) {
            draw(context, bitmap);
          } else {
            stats.failures += 1;
            stats.lastError = String(error);
          }
        }
      });
    }, 1000 / FPS);
  }

  async function start() {
    const canvas = document.createElement('canvas');
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
    const context = canvas.getContext('2d');
    draw(context, await fetchFrame()); // like a camera, deliver a picture before the stream is handed out
    const track = canvas.captureStream().getVideoTracks()[0];
    // 'detail': when the encoder must save bits it drops frames rather than scale the picture down.
    if (HOLD_RESOLUTION) track.contentHint = 'detail';
    pump(context);
    return track;
  }

  devices.getUserMedia = async (constraints) => {
    const wanted = constraints || {};
    const stream = wanted.audio ? await originalGetUserMedia({audio: wanted.audio}) : new MediaStream();
    if (wanted.video) {
      if (source === null) source = start();
      const track = (await source).clone();
      if (HOLD_RESOLUTION) track.contentHint = 'detail';
      stream.addTrack(track);
    }
    return stream;
  };

  // --- prompts -----------------------------------------------------------------------------------------
  let shown = '';
  let sighting = 0;
  function look() {
    const prompt = document.querySelector('[data-testid="challenge-prompt"]');
    const visible = prompt !== null && prompt.checkVisibility();
    const action = visible ? prompt.dataset.action || '' : '';
    const key = action ? `${action}|${prompt.dataset.index}|${prompt.dataset.try}` : '';
    if (key === shown) return;
    if (!key) sighting += 1; // the prompt went away: whatever comes next is a new prompt
    shown = key;
    if (!key) return;
    window.__vbCameraPrompt({
      action,
      index: Number(prompt.dataset.index || 0),
      attempt_try: Number(prompt.dataset.try || 1),
      sighting,
      seen_at: Date.now() / 1000,
    });
  }
  new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true});
})();
