// Plays a Space's audio: Opus packets decoded with WebCodecs, played through the jitter buffer
// of player-worklet.js.
//
// Frames that the node did not deliver (a sequence gap, §7) are replaced by silence of the same
// length, up to half a second, so that what follows keeps its timing; playback never stops on a
// gap. Longer gaps are not filled: the jitter buffer would skip that much anyway to get back to
// the live edge.

const SAMPLE_RATE = 48000;
const FRAME_MICROS = 20000; // hosts send 20 ms frames (welcome.codec.frameDurationMs)
const MAX_CONCEALED_FRAMES = 25;
/** Jitter buffer target: this much on top of the largest recent batch. */
const BASE_TARGET_MS = 120;
const MAX_TARGET_MS = 1200;
/** Recent batches whose duration sizes the buffer (the node batches more when it is busy, §8.1). */
const RECENT_BATCHES = 50;

/** Counters shown on the page and read by tests. */
export function emptyAudioStats() {
  return {
    batches: 0,
    framesReceived: 0,
    framesDecoded: 0,
    framesConcealed: 0,
    framesLost: 0,
    decoderErrors: 0,
    latencyMs: null,
    jitterBufferMs: 0,
    targetMs: 0,
    underruns: 0,
    skippedMs: 0,
  };
}

export class AudioPlayer {
  /** Why this browser cannot play the audio, or null when it can (as far as can be told now). */
  static unsupportedReason() {
    if (!window.isSecureContext) {
      return 'Audio needs a secure page: open this Space over https:// (or on localhost).';
    }
    if (typeof AudioDecoder === 'undefined' || typeof EncodedAudioChunk === 'undefined') {
      return 'This browser cannot decode Opus audio (WebCodecs AudioDecoder is missing). Try a current Chrome, Edge, Firefox or Safari.';
    }
    if (typeof AudioWorkletNode === 'undefined') {
      return 'This browser cannot play streamed audio (AudioWorklet is missing).';
    }
    return null;
  }

  constructor(stats) {
    this.stats = stats;
    this.context = null;
    this.node = null;
    this.channels = 1;
    this.decoder = null;
    this.config = null;
    /** Timestamp (µs) given to the next packet; one running count across connections. */
    this.nextTimestamp = 0;
    /** Silence (in frames) to play before the decoded frame of a given timestamp. */
    this.silenceBefore = new Map();
    this.recentBatchMs = [];
    this.targetMs = 0;
  }

  /**
   * Creates the AudioContext and loads the worklet. Call it from a click: browsers only let a
   * page start audio after a gesture.
   */
  async prepare() {
    if (this.context) return;
    this.context = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
    // resume() in the same gesture (Safari starts contexts suspended).
    const resumed = this.context.resume();
    await this.context.audioWorklet.addModule('/web/player-worklet.js');
    await resumed;
  }

  /**
   * Gets ready for a connection's audio (each `welcome`).
   * @param {{channels: number, sampleRate: number}} codec from the welcome
   * @returns {Promise<string|null>} why the audio cannot be played, or null.
   */
  async start(codec) {
    this.channels = codec.channels === 2 ? 2 : 1;
    this.config = { codec: 'opus', sampleRate: codec.sampleRate || SAMPLE_RATE, numberOfChannels: this.channels };
    try {
      const support = await AudioDecoder.isConfigSupported(this.config);
      if (!support.supported) return 'This browser cannot decode Opus at 48 kHz.';
    } catch (error) {
      return `This browser cannot decode Opus: ${error.message}`;
    }
    if (!this.node) {
      this.setTarget(FRAME_MICROS / 1000);
      this.node = new AudioWorkletNode(this.context, 'jitter-buffer', {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [this.channels],
        processorOptions: { channels: this.channels, targetMs: this.targetMs, maxMs: this.maxMs },
      });
      this.node.port.onmessage = (event) => {
        this.stats.jitterBufferMs = Math.round(event.data.bufferedMs);
        this.stats.underruns = event.data.underruns;
        this.stats.skippedMs = Math.round(event.data.skippedMs);
      };
      this.node.connect(this.context.destination);
    }
    return null;
  }

  /** A decoder, configured; made again after an error. */
  ensureDecoder() {
    if (this.decoder && this.decoder.state === 'configured') return this.decoder;
    this.decoder = new AudioDecoder({
      output: (data) => this.output(data),
      error: () => {
        // The decoder is closed after an error; the next packet makes a new one.
        this.stats.decoderErrors += 1;
      },
    });
    this.decoder.configure(this.config);
    return this.decoder;
  }

  /**
   * One audio batch from the socket.
   * @param batch from parseBatch
   * @param {number} missing frames not delivered before it (SequenceTracker)
   */
  receive(batch, missing) {
    this.stats.batches += 1;
    this.stats.framesReceived += batch.frameCount;
    this.stats.latencyMs = Math.max(0, Math.round(Date.now() - batch.captureTimeMicros / 1000));
    this.noteBatch(batch.frameCount * (FRAME_MICROS / 1000));
    if (!this.node || !this.config) return; // audio unavailable: counted, not played
    let concealed = 0;
    if (missing > 0) {
      this.stats.framesLost += missing;
      concealed = Math.min(missing, MAX_CONCEALED_FRAMES);
    }
    const decoder = this.ensureDecoder();
    batch.packets.forEach((packet, i) => {
      const timestamp = this.nextTimestamp;
      this.nextTimestamp += FRAME_MICROS;
      if (i === 0 && concealed > 0) this.silenceBefore.set(timestamp, concealed);
      try {
        decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data: packet }));
      } catch {
        this.stats.decoderErrors += 1;
      }
    });
  }

  /** A decoded frame: to the jitter buffer, after the silence standing for a gap before it. */
  output(data) {
    const gap = this.silenceBefore.get(data.timestamp);
    if (gap) {
      this.silenceBefore.delete(data.timestamp);
      this.stats.framesConcealed += gap;
      const samples = (gap * FRAME_MICROS * SAMPLE_RATE) / 1e6;
      this.post(Array.from({ length: this.channels }, () => new Float32Array(samples)));
    }
    const channels = [];
    for (let c = 0; c < this.channels; c++) {
      const plane = new Float32Array(data.numberOfFrames);
      data.copyTo(plane, { planeIndex: Math.min(c, data.numberOfChannels - 1), format: 'f32-planar' });
      channels.push(plane);
    }
    data.close();
    this.stats.framesDecoded += 1;
    this.post(channels);
  }

  post(channels) {
    this.node.port.postMessage({ type: 'pcm', channels }, channels.map((plane) => plane.buffer));
  }

  /** Sizes the jitter buffer from the largest of the recent batches. */
  noteBatch(durationMs) {
    this.recentBatchMs.push(durationMs);
    if (this.recentBatchMs.length > RECENT_BATCHES) this.recentBatchMs.shift();
    const largest = Math.max(...this.recentBatchMs);
    if (this.setTarget(largest) && this.node) {
      this.node.port.postMessage({ type: 'config', targetMs: this.targetMs, maxMs: this.maxMs });
    }
  }

  /** @returns {boolean} whether the target changed. */
  setTarget(largestBatchMs) {
    const target = Math.min(MAX_TARGET_MS, BASE_TARGET_MS + largestBatchMs);
    if (target === this.targetMs) return false;
    this.targetMs = target;
    // Above this, skip back to the target: a burst after a stall must not become latency.
    this.maxMs = target + largestBatchMs + 200;
    this.stats.targetMs = target;
    return true;
  }

  /** The connection is gone: drop what the decoder still holds for it. */
  pause() {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.silenceBefore.clear();
  }

  /** Leaves for good: the audio stops. */
  async close() {
    this.pause();
    const context = this.context;
    this.context = null;
    this.node = null;
    if (context) await context.close();
  }
}
