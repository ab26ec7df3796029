/**
 * Starting a call, once for every page that holds one (the customer's phone, the teller's console):
 * when `session_started` arrives, wait for the camera and microphone (opened earlier), make sure the
 * session is still the current one, create the page's one peer connection with the media hub and
 * send the `offer` (docs/protocol.md, "Media"). `LocalCamera` opens the camera once and previews it.
 *
 * @module shared/call
 */

import {HubCall, openLocalMedia, stopLocalMedia} from '/shared/rtc.js';
import {attachStream} from '/shared/video.js';

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */
/** @typedef {import('/shared/rtc.js').LocalMedia} LocalMedia */
/** @typedef {import('/shared/rtc.js').HubCall} HubCall */

/**
 * @typedef {object} StartCallOptions
 * @property {SignalingClient} signaling the connected client that got `session_started`
 * @property {string} sessionId
 * @property {RTCIceServer[]} iceServers from `welcome.ice_servers`
 * @property {Promise<LocalMedia>} media the camera and microphone (receive-only without them)
 * @property {HTMLVideoElement} remoteVideo where the other party plays
 * @property {() => boolean} isCurrent whether the session is still this page's current one
 * @property {(call: HubCall) => void} created gets the call before its offer leaves (answers and
 *   hang-ups find it from then on)
 * @property {(error: unknown) => void} failed the browser could not start the call
 * @property {RTCIceTransportPolicy} [iceTransportPolicy] from `session_started`
 * @property {() => void} [mediaFailed] the peer connection failed later (make a new one)
 */

/**
 * Create the session's peer connection and send the offer.
 * @param {StartCallOptions} options
 * @returns {Promise<HubCall|null>} the call, or null when the session ended while the camera opened
 */
export async function startCall(options) {
  const media = await options.media;
  if (!options.isCurrent()) {
    return null;
  }
  const call = new HubCall({
    signaling: options.signaling,
    sessionId: options.sessionId,
    iceServers: options.iceServers,
    iceTransportPolicy: options.iceTransportPolicy,
    localStream: media.stream,
    remoteVideo: options.remoteVideo,
    onFailed: options.mediaFailed,
  });
  options.created(call);
  try {
    await call.start();
  } catch (error) {
    options.failed(error);
  }
  return call;
}

/**
 * While the server checks a face in this page's video (from `verification_started` to
 * `verification_result`), the call keeps the video's resolution (`HubCall.holdResolution`): the
 * customer's phone, and the field tablet whose camera shows the customer.
 * @param {SignalingClient} client
 * @param {() => HubCall|null} currentCall the page's call now
 */
export function holdResolutionDuringChecks(client, currentCall) {
  for (const [type, hold] of /** @type {const} */ ([['verification_started', true], ['verification_result', false]])) {
    client.on(type, (/** @type {{session_id: string}} */ message) => {
      const call = currentCall();
      if (call && call.sessionId === message.session_id) {
        void call.holdResolution(hold);
      }
    });
  }
}

/** The camera and microphone, opened once and previewed, until released. */
export class LocalCamera {
  /**
   * @param {HTMLVideoElement} preview where the page shows the person themselves
   * @param {(media: LocalMedia) => void} [opened] told once they are open (e.g. to show a problem)
   */
  constructor(preview, opened = () => {}) {
    /** @private */ this.preview = preview;
    /** @private */ this.opened = opened;
    /** @private @type {Promise<LocalMedia>|null} */ this.pending = null;
  }

  /** @returns {Promise<LocalMedia>} the open media (opening them on the first call) */
  open() {
    if (!this.pending) {
      const pending = openLocalMedia();
      this.pending = pending;
      void pending.then((media) => {
        if (this.pending !== pending) {
          stopLocalMedia(media.stream); // released while opening
          return;
        }
        attachStream(this.preview, media.stream);
        this.opened(media);
      });
    }
    return this.pending;
  }

  /** Stop the camera and microphone (the light goes off). Safe to call when closed. */
  release() {
    const pending = this.pending;
    this.pending = null;
    attachStream(this.preview, null);
    void pending?.then((media) => stopLocalMedia(media.stream));
  }
}
