/**
 * Silent monitoring's media: one receive-only RTCPeerConnection between the supervisor's browser and
 * the media hub (docs/protocol.md, "Silent monitoring").
 *
 * The supervisor offers four `recvonly` transceivers in the protocol's order — customer audio,
 * customer video, teller audio, teller video — and the hub answers by sending both parties' media
 * on them. Monitors do not trickle ICE: the offer leaves once gathering is complete (or after
 * {@link MONITOR_ICE_GATHERING_CAP_MS}) with every candidate found so far.
 *
 * Incoming tracks are told apart by the transceiver they arrive on (the transceivers are created in
 * m-line order), never by the order in which they happen to arrive.
 *
 * @module supervisor/monitor
 */

import {waitForIceGathering} from '/shared/rtc.js';
import {attachStream} from '/shared/video.js';

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */
/** @typedef {import('/shared/signaling.js').AnswerMessage} AnswerMessage */

/** @typedef {'customer'|'teller'} Leg */

/**
 * @typedef {object} MonitorSection one m-line of the monitor's offer
 * @property {Leg} leg whose media the hub sends on it
 * @property {'audio'|'video'} kind
 */

/** @type {readonly MonitorSection[]} the offer's m-lines, in the order the protocol requires */
export const MONITOR_SECTIONS = Object.freeze([
  Object.freeze({leg: 'customer', kind: 'audio'}),
  Object.freeze({leg: 'customer', kind: 'video'}),
  Object.freeze({leg: 'teller', kind: 'audio'}),
  Object.freeze({leg: 'teller', kind: 'video'}),
]);

/**
 * How long to wait for ICE gathering before offering anyway. Monitors cannot trickle candidates
 * found later, so this is longer than a party's cap.
 */
export const MONITOR_ICE_GATHERING_CAP_MS = 5000;

/**
 * @typedef {object} MonitorCallOptions
 * @property {SignalingClient} signaling connected supervisor client, used to send the `offer`
 * @property {string} sessionId from `monitor_started`
 * @property {RTCIceServer[]} iceServers from `monitor_started.ice_servers` (this monitor's TURN credential)
 * @property {RTCIceTransportPolicy} [iceTransportPolicy] from `monitor_started`; `relay`: TURN only
 * @property {Record<Leg, HTMLVideoElement>} videos where each party's picture and voice play
 * @property {(state: RTCPeerConnectionState) => void} [onConnectionState] called on every change
 */

/**
 * The receive-only peer connection of one monitored session. Create it on `monitor_started`, pass
 * it the `answer`, close it on `monitor_stopped`.
 */
export class MonitorCall {
  /** @param {MonitorCallOptions} options */
  constructor(options) {
    /** @private */ this.options = options;
    /** @private */
    this.pc = new RTCPeerConnection({
      iceServers: options.iceServers,
      iceTransportPolicy: options.iceTransportPolicy ?? 'all',
      bundlePolicy: 'max-bundle',
    });
    /** @private @type {Record<Leg, MediaStream>} */
    this.streams = {customer: new MediaStream(), teller: new MediaStream()};
    /** @private @type {RTCRtpTransceiver[]} index i carries MONITOR_SECTIONS[i] */
    this.transceivers = [];
    /** @private */ this.closed = false;

    this.pc.addEventListener('track', (event) => this.addRemoteTrack(event));
    this.pc.addEventListener('connectionstatechange', () => {
      if (!this.closed) {
        this.options.onConnectionState?.(this.pc.connectionState);
      }
    });
  }

  /** @returns {string} the monitored session */
  get sessionId() {
    return this.options.sessionId;
  }

  /** @returns {boolean} true once {@link close} was called */
  get isClosed() {
    return this.closed;
  }

  /**
   * Add the four receive-only transceivers, gather ICE and send the `offer`.
   * @returns {Promise<void>} resolves once the offer is sent (or the call was closed meanwhile)
   */
  async start() {
    for (const {kind} of MONITOR_SECTIONS) {
      this.transceivers.push(this.pc.addTransceiver(kind, {direction: 'recvonly'}));
    }
    await this.unlessClosed(async () => {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      await waitForIceGathering(this.pc, MONITOR_ICE_GATHERING_CAP_MS);
      if (this.closed || !this.pc.localDescription) {
        return;
      }
      this.options.signaling.send({
        type: 'offer',
        session_id: this.sessionId,
        sdp: this.pc.localDescription.sdp,
      });
    });
  }

  /**
   * Apply the hub's `answer` (ignored when it is for another session).
   * @param {AnswerMessage} message
   * @returns {Promise<void>}
   */
  async applyAnswer(message) {
    if (message.session_id !== this.sessionId) {
      return;
    }
    await this.unlessClosed(() => this.pc.setRemoteDescription({type: 'answer', sdp: message.sdp}));
  }

  /** Stop receiving, close the peer connection and clear both videos. Safe to call twice. */
  close() {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.pc.close();
    for (const leg of /** @type {const} */ (['customer', 'teller'])) {
      for (const track of this.streams[leg].getTracks()) {
        track.stop();
      }
      attachStream(this.options.videos[leg], null);
    }
  }

  /**
   * Run `step`; once the call is closed its failure is expected and swallowed.
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

  /**
   * Put an incoming track into the stream of the party whose m-line it arrived on.
   * @private
   * @param {RTCTrackEvent} event
   */
  addRemoteTrack(event) {
    const section = MONITOR_SECTIONS[this.transceivers.indexOf(event.transceiver)];
    if (!section || this.closed) {
      console.warn('monitor: ignored a track on an unknown transceiver');
      return;
    }
    const stream = this.streams[section.leg];
    stream.addTrack(event.track);
    event.track.addEventListener('ended', () => stream.removeTrack(event.track));
    const video = this.options.videos[section.leg];
    if (video.srcObject !== stream) {
      attachStream(video, stream);
    }
  }
}
