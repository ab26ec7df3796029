/**
 * The one RTCPeerConnection between this browser and the server's media hub.
 *
 * The browser is always the offerer (docs/protocol.md, "Media"): it offers one audio and one video
 * m-line, sending its camera/microphone where it has them and receiving the other party's media
 * relayed by the hub. ICE candidates are gathered before the offer is sent (up to a cap); any that
 * come later are trickled with `ice` messages.
 *
 * @module rtc
 */

import {attachStream} from '/shared/video.js';

/** How long to wait for ICE gathering before sending the offer with what we have. */
export const ICE_GATHERING_CAP_MS = 3000;

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */
/** @typedef {import('/shared/signaling.js').AnswerMessage} AnswerMessage */

/**
 * @typedef {object} LocalMedia
 * @property {MediaStream|null} stream null when no camera or microphone could be used
 * @property {string|null} problem why some media is missing, in plain English (null when all is well)
 * @property {'no_microphone'|'no_camera'|'insecure'|'blocked'|'no_devices'|null} [problemCode] the same
 *   as a code, for pages that say it in their own language
 */

/** Constraints tried in order (the first that works is used), each with what it leaves out. */
const MEDIA_ATTEMPTS = /** @type {const} */ ([
  {constraints: {audio: true, video: {width: {ideal: 640}, height: {ideal: 480}}}, problem: null, problemCode: null},
  {
    constraints: {audio: false, video: {width: {ideal: 640}, height: {ideal: 480}}},
    problem: 'The microphone could not be used: the other side can see you but not hear you.',
    problemCode: 'no_microphone',
  },
  {
    constraints: {audio: true, video: false},
    problem: 'The camera could not be used: the other side can hear you but not see you.',
    problemCode: 'no_camera',
  },
]);

/**
 * Open the camera and microphone, falling back to camera only, then microphone only.
 * @returns {Promise<LocalMedia>}
 */
export async function openLocalMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return {
      stream: null,
      problem: 'This page cannot use the camera (it needs a secure https address).',
      problemCode: 'insecure',
    };
  }
  /** @type {unknown} */
  let lastError = null;
  for (const {constraints, problem, problemCode} of MEDIA_ATTEMPTS) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      return {stream, problem, problemCode};
    } catch (error) {
      lastError = error;
      if (error instanceof DOMException && error.name === 'NotAllowedError') {
        break; // the user said no: asking again for less will not change that
      }
    }
  }
  console.warn('rtc: no camera or microphone:', lastError instanceof Error ? lastError.name : lastError);
  const denied = lastError instanceof DOMException && lastError.name === 'NotAllowedError';
  return {
    stream: null,
    problem: denied ?
      'Camera and microphone are blocked in the browser: the other side cannot see or hear you.' :
      'No camera or microphone found: the other side cannot see or hear you.',
    problemCode: denied ? 'blocked' : 'no_devices',
  };
}

/** @param {MediaStream|null} stream stops every track of `stream` (camera light off) */
export function stopLocalMedia(stream) {
  if (stream) {
    for (const track of stream.getTracks()) {
      track.stop();
    }
  }
}

/**
 * @typedef {object} HubCallOptions
 * @property {SignalingClient} signaling connected client used to send `offer`, `ice`
 * @property {string} sessionId from `session_started`
 * @property {RTCIceServer[]} iceServers from `session_started.ice_servers` (TURN credentials of this leg)
 * @property {RTCIceTransportPolicy} [iceTransportPolicy] from `session_started`; `relay`: TURN only
 * @property {MediaStream|null} localStream what to send (null: receive only)
 * @property {HTMLVideoElement} remoteVideo where the other party's media plays
 * @property {() => void} [onFailed] the peer connection failed (the page makes a new one: aiortc has
 *   no ICE restart, so a fresh peer connection is the way back, docs/protocol.md "Resume")
 */

/** One call's peer connection with the hub. Create it on `session_started`, close it on `session_ended`. */
export class HubCall {
  /** @param {HubCallOptions} options */
  constructor(options) {
    /** @private */ this.options = options;
    /** @private */
    this.pc = new RTCPeerConnection({
      iceServers: options.iceServers,
      iceTransportPolicy: options.iceTransportPolicy ?? 'all',
    });
    /** @private */ this.remoteStream = new MediaStream();
    /** @private */ this.closed = false;
    /** @private Candidates found from now on are trickled (those found earlier are in the offer). */
    this.trickling = false;
    /** @private whether the sent video keeps its resolution now ({@link HubCall.holdResolution}) */
    this.holding = false;
    /** @private @type {RTCDegradationPreference|undefined} the sender's choice before the hold */
    this.degradationBefore = undefined;
    /** @private changes of the sender's parameters, one after the other */
    this.parameterChanges = Promise.resolve();

    this.pc.addEventListener('track', (event) => this.addRemoteTrack(event.track));
    this.pc.addEventListener('connectionstatechange', () => {
      if (this.pc.connectionState === 'failed' && !this.closed) {
        options.onFailed?.();
      }
    });
    this.pc.addEventListener('icecandidate', (event) => this.trickle(event.candidate));
  }

  /** @returns {string} the session this call belongs to */
  get sessionId() {
    return this.options.sessionId;
  }

  /**
   * Add our media (or receive-only transceivers), gather ICE and send the `offer`.
   * @returns {Promise<void>}
   */
  async start() {
    const {localStream} = this.options;
    for (const kind of /** @type {const} */ (['audio', 'video'])) {
      const track = localStream ? localStream.getTracks().find((t) => t.kind === kind) : undefined;
      if (track && localStream) {
        this.pc.addTransceiver(track, {direction: 'sendrecv', streams: [localStream]});
      } else {
        this.pc.addTransceiver(kind, {direction: 'recvonly'});
      }
    }
    await this.unlessClosed(async () => {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      await this.iceGatheringDone(ICE_GATHERING_CAP_MS);
      if (this.closed || !this.pc.localDescription) {
        return;
      }
      this.options.signaling.send({
        type: 'offer',
        session_id: this.sessionId,
        sdp: this.pc.localDescription.sdp,
      });
      this.trickling = this.pc.iceGatheringState !== 'complete';
    });
  }

  /**
   * Apply the hub's `answer`.
   * @param {AnswerMessage} message
   * @returns {Promise<void>}
   */
  async applyAnswer(message) {
    if (message.session_id !== this.sessionId) {
      return;
    }
    await this.unlessClosed(() => this.pc.setRemoteDescription({type: 'answer', sdp: message.sdp}));
  }

  /**
   * While the server checks the face in our video, keep its resolution when the browser is short of
   * CPU or bandwidth (`degradationPreference` `maintain-resolution`: Chromium then lowers the frame
   * rate instead of scaling the face down); `false` puts back the sender's choice from before. A
   * browser that refuses is noted on the console and the call goes on.
   * @param {boolean} hold
   * @returns {Promise<void>} settles once the sender has it
   */
  holdResolution(hold) {
    this.parameterChanges = this.parameterChanges.then(() => this.setDegradation(hold)).catch((error) => {
      console.warn('the video sender did not take the degradation preference', error);
    });
    return this.parameterChanges;
  }

  /**
   * @private
   * @param {boolean} hold
   * @returns {Promise<void>}
   */
  async setDegradation(hold) {
    const sender = this.pc.getSenders().find((s) => s.track?.kind === 'video');
    if (!sender || this.closed || hold === this.holding) {
      return;
    }
    const parameters = sender.getParameters();
    if (hold) {
      this.degradationBefore = parameters.degradationPreference;
      parameters.degradationPreference = 'maintain-resolution';
    } else if (this.degradationBefore === undefined) {
      delete parameters.degradationPreference;
    } else {
      parameters.degradationPreference = this.degradationBefore;
    }
    await sender.setParameters(parameters);
    this.holding = hold;
  }

  /** Stop receiving, close the peer connection and clear the remote video. Safe to call twice. */
  close() {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.pc.close();
    for (const track of this.remoteStream.getTracks()) {
      track.stop();
    }
    attachStream(this.options.remoteVideo, null);
  }

  /**
   * Run `step`; if the call is closed meanwhile (the session ended), its failure is expected and
   * swallowed.
   * @private
   * @param {() => Promise<unknown>} step
   * @returns {Promise<void>}
   */
  async unlessClosed(step) {
    if (this.closed) {
      return;
    }
    try {
      await step();
    } catch (error) {
      if (!this.closed) {
        throw error;
      }
    }
  }

  /** @private @param {MediaStreamTrack} track */
  addRemoteTrack(track) {
    this.remoteStream.addTrack(track);
    track.addEventListener('ended', () => this.remoteStream.removeTrack(track));
    if (this.options.remoteVideo.srcObject !== this.remoteStream) {
      attachStream(this.options.remoteVideo, this.remoteStream);
    }
  }

  /**
   * When the offer left before gathering completed (the cap), candidates found afterwards go to the
   * hub as `ice` messages, and the end of gathering as an empty candidate.
   * @private @param {RTCIceCandidate|null} candidate
   */
  trickle(candidate) {
    if (!this.trickling || this.closed) {
      return;
    }
    if (!candidate) {
      this.trickling = false;
    }
    this.options.signaling.send({
      type: 'ice',
      session_id: this.sessionId,
      candidate: candidate ? candidate.candidate : '',
      sdp_mid: candidate ? candidate.sdpMid : null,
      sdp_mline_index: candidate ? candidate.sdpMLineIndex : null,
    });
  }

  /**
   * @private
   * @param {number} capMs
   * @returns {Promise<void>} resolves when gathering completes, or after `capMs`
   */
  iceGatheringDone(capMs) {
    return waitForIceGathering(this.pc, capMs);
  }
}

/**
 * Wait until `pc` has gathered all its ICE candidates, but no longer than `capMs`: the offer then
 * carries every candidate found so far.
 * @param {RTCPeerConnection} pc after `setLocalDescription`
 * @param {number} capMs
 * @returns {Promise<void>} resolves when gathering completes, or after `capMs`
 */
export function waitForIceGathering(pc, capMs) {
  if (pc.iceGatheringState === 'complete') {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') {
        finish();
      }
    };
    const timer = setTimeout(finish, capMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
