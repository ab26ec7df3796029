/**
 * Helpers for the pages' <video> elements.
 *
 * Test hook: `countFrames(video)` keeps `data-frames` on the element equal to the number of video
 * frames presented so far (via `requestVideoFrameCallback`), so automated tests can prove that the
 * picture moves without looking at pixels.
 *
 * @module video
 */

/**
 * Show `stream` in `video` (or clear it with null) and start playback. The element has the class
 * `live` while it has a stream.
 * @param {HTMLVideoElement} video
 * @param {MediaStream|null} stream
 */
export function attachStream(video, stream) {
  video.srcObject = stream;
  video.classList.toggle('live', stream !== null);
  if (stream) {
    void play(video);
  }
}

/**
 * Start playback. If the browser blocks autoplay with sound, play muted instead (a page shows a
 * "turn sound on" button for that case, see {@link offerSoundButton}).
 * @param {HTMLVideoElement} video
 * @returns {Promise<void>}
 */
async function play(video) {
  try {
    await video.play();
  } catch (error) {
    if (error instanceof DOMException && error.name === 'NotAllowedError' && !video.muted) {
      video.muted = true;
      await video.play().catch(() => {});
    }
    // AbortError: a newer srcObject replaced this one; nothing to do.
  }
}

/**
 * Show `button` while `video` is muted (only autoplay policy mutes a remote video), and unmute it
 * when the button is pressed.
 * @param {HTMLVideoElement} video
 * @param {HTMLButtonElement} button
 */
export function offerSoundButton(video, button) {
  const sync = () => {
    button.hidden = !video.muted;
  };
  video.addEventListener('volumechange', sync);
  button.addEventListener('click', () => {
    video.muted = false;
    void play(video);
  });
  sync();
}

/**
 * Keep `data-frames` on `video` counting presented frames, for as long as the element exists.
 * Falls back to counting `timeupdate` events where `requestVideoFrameCallback` is missing.
 * @param {HTMLVideoElement} video
 */
export function countFrames(video) {
  let frames = 0;
  video.dataset.frames = '0';
  const bump = () => {
    frames += 1;
    video.dataset.frames = String(frames);
  };
  if ('requestVideoFrameCallback' in video) {
    const onFrame = () => {
      bump();
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    /** @type {HTMLVideoElement} */ (video).addEventListener('timeupdate', bump);
  }
}
