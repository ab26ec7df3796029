/**
 * Playing a record's two media streams side by side with Media Source Extensions.
 *
 * A stream's chunks are its WebM initialisation segment and fragments of whole Clusters, each
 * starting at a keyframe (docs/record-format.md §3, §11). The signed manifest lists every fragment
 * with its server-time range, and WebM time is server time minus the record's `opened_at_us`, so
 * the manifest *is* the seek index (the muxer writes no Cues): to play from time t a player
 * fetches, verifies and decrypts the initialisation segment once and the one fragment that holds t,
 * then keeps a few seconds ahead while playing. Nothing before the target is fetched.
 *
 * @module replay
 */

import {KeyError} from '/auditor/record-crypto.js';

/** @typedef {import('/auditor/record-crypto.js').ChunkEntry} ChunkEntry */

/** Fetch the next fragment when less than this much is buffered ahead of the playhead. */
const AHEAD_SECONDS = 4;
/** Drop what lies further than this behind the playhead (memory stays bounded on long records). */
const BEHIND_SECONDS = 30;

/**
 * @typedef {object} Fragment
 * @property {ChunkEntry} entry
 * @property {number} start media time (s) of its first Cluster
 * @property {number} end media time (s) where the next fragment starts
 */

/**
 * @param {HTMLMediaElement} media
 * @param {string} type
 * @returns {Promise<void>} resolves at the first `type` event
 */
function once(media, type) {
  return new Promise((resolve) => media.addEventListener(type, () => resolve(), {once: true}));
}

/** One stream in one `<video>`. */
export class StreamPlayer {
  /**
   * @param {HTMLVideoElement} video
   * @param {ChunkEntry[]} entries this stream's media chunks, in index order
   * @param {number} openedAtUs the record's `opened_at_us` (WebM time 0)
   * @param {(entry: ChunkEntry) => Promise<Uint8Array>} load fetch, verify and decrypt one chunk
   * @param {(error: unknown) => void} onError a chunk failed (tampered, network): the replay stops
   */
  constructor(video, entries, openedAtUs, load, onError) {
    this.video = video;
    /** @private */ this.load = load;
    /** @private */ this.onError = onError;
    /** @private */ this.init = entries.find((e) => e.init) ?? null;
    /** @type {Fragment[]} */
    this.fragments = [];
    const media = entries.filter((e) => !e.init);
    media.forEach((entry, i) => {
      const next = media[i + 1];
      this.fragments.push({
        entry,
        start: (entry.t0_us - openedAtUs) / 1e6,
        end: ((next ? next.t0_us : entry.t1_us) - openedAtUs) / 1e6,
      });
    });
    /** @private @type {MediaSource|null} */ this.source = null;
    /** @private @type {SourceBuffer|null} */ this.buffer = null;
    /** @private @type {Promise<void>} SourceBuffer work, one operation at a time */
    this.queue = Promise.resolve();
    /** @private index of the last fragment appended in the current run, -1 none */
    this.last = -1;
    /** @private bumped by each seek: work queued for an older position is skipped */
    this.generation = 0;
    /** @private @type {Uint8Array|null} */ this.initData = null;
    /** @private */ this.stopped = false;
    /** @private */ this.loading = false;
  }

  /** @returns {boolean} the stream has something to play */
  get playable() {
    return this.init !== null && this.fragments.length > 0;
  }

  /** @returns {number} media time (s) of the first fragment */
  get firstTime() {
    return this.fragments.length ? this.fragments[0].start : 0;
  }

  /**
   * Attach a MediaSource to the video and append the initialisation segment.
   * @param {number} duration of the record, s
   * @returns {Promise<void>}
   */
  async attach(duration) {
    if (!this.init) {
      return;
    }
    const type = this.init.content_type;
    if (!('MediaSource' in globalThis) || !MediaSource.isTypeSupported(type)) {
      throw new KeyError('no_mse', `This browser cannot play ${type} with Media Source Extensions.`, {type});
    }
    this.initData = await this.load(this.init);
    const source = new MediaSource();
    this.source = source;
    this.video.src = URL.createObjectURL(source);
    await new Promise((resolve) => source.addEventListener('sourceopen', resolve, {once: true}));
    URL.revokeObjectURL(this.video.src);
    this.buffer = source.addSourceBuffer(type);
    this.buffer.mode = 'segments';
    await this.append(this.initData);
    source.duration = Math.max(duration, this.fragments.at(-1)?.end ?? 0);
    // Keep ahead while playing, and at once when the playhead waits at the end of what is buffered
    // (a seek near a fragment's end needs the next one before anything can play).
    for (const type of ['timeupdate', 'waiting', 'seeked']) {
      this.video.addEventListener(type, () => this.pump());
    }
  }

  /**
   * @param {number} t media time, s
   * @returns {number} index of the fragment that holds t (the first or last one outside the range)
   */
  fragmentAt(t) {
    let index = 0;
    for (let i = 0; i < this.fragments.length; i += 1) {
      if (this.fragments[i].start <= t) {
        index = i;
      }
    }
    return index;
  }

  /**
   * Move the playhead to `t`: if it is not buffered, drop the buffer and load the fragment holding it.
   * @param {number} t media time, s
   * @returns {Promise<void>} once the fragment is appended (or nothing was needed)
   */
  async seek(t) {
    if (!this.playable || this.stopped) {
      return;
    }
    const target = Math.max(t, this.firstTime);
    this.video.currentTime = target;
    if (this.isBuffered(target)) {
      return;
    }
    this.generation += 1;
    this.last = -1; // nothing to continue from until the new fragment is in
    const generation = this.generation;
    const index = this.fragmentAt(target);
    const data = await this.fetch(index);
    await this.enqueue(generation, async () => {
      const buffer = /** @type {SourceBuffer} */ (this.buffer);
      if (buffer.buffered.length) {
        buffer.abort();
        await this.remove(0, Infinity);
      }
      await this.append(/** @type {Uint8Array} */ (this.initData));
      await this.append(data);
      this.last = index;
    });
    this.pump();
  }

  /** Keep a few seconds ahead of the playhead, and drop what is far behind. */
  pump() {
    if (this.stopped || this.loading || this.last < 0 || this.last + 1 >= this.fragments.length) {
      return;
    }
    const now = this.video.currentTime;
    const end = this.bufferedEnd(now);
    if (end - now > AHEAD_SECONDS) {
      return;
    }
    const generation = this.generation;
    const index = this.last + 1;
    this.loading = true;
    this.fetch(index)
      .then((data) =>
        this.enqueue(generation, async () => {
          if (this.last !== index - 1) {
            return; // a seek or another append came first
          }
          if (now - BEHIND_SECONDS > 0) {
            await this.remove(0, now - BEHIND_SECONDS);
          }
          await this.append(data);
          this.last = index;
          if (index + 1 >= this.fragments.length && this.source?.readyState === 'open') {
            this.source.endOfStream();
          }
        }),
      )
      .catch((error) => this.onError(error))
      .finally(() => {
        this.loading = false;
      });
  }

  /** Stop for good: no more fetching, the video is emptied. */
  stop() {
    this.stopped = true;
    this.generation += 1;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
  }

  /**
   * @param {number} index
   * @returns {Promise<Uint8Array>} the verified plaintext of fragment `index`
   */
  async fetch(index) {
    return this.load(this.fragments[index].entry);
  }

  /**
   * @private
   * @param {number} generation
   * @param {() => Promise<void>} work
   * @returns {Promise<void>}
   */
  enqueue(generation, work) {
    const run = this.queue.then(async () => {
      if (generation === this.generation && !this.stopped) {
        await work();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * @param {number} t
   * @returns {boolean}
   */
  isBuffered(t) {
    const ranges = this.video.buffered;
    for (let i = 0; i < ranges.length; i += 1) {
      if (ranges.start(i) <= t + 0.05 && t < ranges.end(i) - 0.1) {
        return true;
      }
    }
    return false;
  }

  /**
   * @private
   * @param {number} t
   * @returns {number} end of the buffered range holding t (t itself if none)
   */
  bufferedEnd(t) {
    const ranges = this.video.buffered;
    for (let i = 0; i < ranges.length; i += 1) {
      if (ranges.start(i) <= t + 0.05 && t <= ranges.end(i)) {
        return ranges.end(i);
      }
    }
    return t;
  }

  /**
   * @private
   * @param {Uint8Array} data
   * @returns {Promise<void>}
   */
  async append(data) {
    const buffer = /** @type {SourceBuffer} */ (this.buffer);
    const done = new Promise((resolve, reject) => {
      buffer.addEventListener('updateend', resolve, {once: true});
      buffer.addEventListener(
        'error',
        () => {
          const detail = this.video.error?.message || 'no detail';
          reject(new KeyError('decode_failed', `The browser could not decode a fragment (${detail}).`, {detail}));
        },
        {once: true},
      );
    });
    buffer.appendBuffer(data);
    await done;
  }

  /**
   * @private
   * @param {number} from
   * @param {number} to
   * @returns {Promise<void>}
   */
  async remove(from, to) {
    const buffer = /** @type {SourceBuffer} */ (this.buffer);
    const done = new Promise((resolve) => buffer.addEventListener('updateend', resolve, {once: true}));
    buffer.remove(from, to);
    await done;
  }
}

/** Both parties' players driven as one: play, pause, seek together, small drift corrected. */
export class DualReplay {
  /**
   * @param {StreamPlayer[]} players
   * @param {number} duration s
   */
  constructor(players, duration) {
    this.players = players.filter((p) => p.playable);
    this.duration = duration;
    /** Milliseconds from the last seek request until every video could play at the new position. */
    this.lastSeekMs = NaN;
  }

  /** @returns {number} the position, s (the first playable video's) */
  get currentTime() {
    return this.players[0]?.video.currentTime ?? 0;
  }

  /** @returns {number} where playback can start: the latest first fragment of the streams */
  get startTime() {
    return Math.max(0, ...this.players.map((p) => p.firstTime));
  }

  /** @returns {Promise<void>} */
  async play() {
    await Promise.all(this.players.map((p) => p.video.play()));
  }

  pause() {
    for (const p of this.players) {
      p.video.pause();
    }
  }

  /** @returns {boolean} */
  get paused() {
    return this.players.every((p) => p.video.paused);
  }

  /**
   * Seek every stream to `t` and resolve when each can play there.
   * @param {number} t media time, s
   * @returns {Promise<void>}
   */
  async seek(t) {
    const started = performance.now();
    const end = Math.min(this.duration, ...this.players.map((p) => p.fragments.at(-1)?.end ?? 0));
    const target = Math.min(Math.max(t, this.startTime), Math.max(this.startTime, end - 0.5));
    await Promise.all(
      this.players.map(async (p) => {
        const seeked = once(p.video, 'seeked');
        await p.seek(target);
        if (p.video.seeking) {
          await seeked;
        }
        if (p.video.readyState < HTMLMediaElement.HAVE_FUTURE_DATA) {
          await once(p.video, 'canplay');
        }
      }),
    );
    this.lastSeekMs = performance.now() - started;
  }

  /** Pull a video that drifted more than 0.25 s from the first one back in line. */
  sync() {
    const [lead, ...rest] = this.players;
    for (const p of rest) {
      if (!p.video.seeking && !lead.video.seeking && Math.abs(p.video.currentTime - lead.video.currentTime) > 0.25) {
        void p.seek(lead.video.currentTime);
      }
    }
  }

  stop() {
    for (const p of this.players) {
      p.stop();
    }
  }
}
