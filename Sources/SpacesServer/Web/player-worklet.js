// The jitter buffer, running on the audio thread (an AudioWorkletProcessor).
//
// The page posts decoded PCM (one Float32Array per channel, 48 kHz) as it arrives, in bursts:
// one 20 ms frame at a time when the node is lightly loaded, or batches of several frames. This
// processor plays them at a steady pace:
//
// - it starts (and restarts after running dry) only once `targetMs` of audio is buffered, so
//   that a late batch does not cut the sound;
// - when it runs dry it plays silence (an underrun) and never stops the output;
// - when more than `maxMs` is buffered (a burst after a stall), it skips the oldest audio
//   down to the target, so that latency stays bounded;
// - every 250 ms it reports its level to the page.

const REPORT_EVERY_SECONDS = 0.25;

class JitterBufferProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.channels = options.processorOptions.channels;
    this.targetSamples = this.ms(options.processorOptions.targetMs);
    this.maxSamples = this.ms(options.processorOptions.maxMs);
    /** Chunks waiting to be played: each an array of Float32Array, one per channel. */
    this.queue = [];
    /** Samples of queue[0] already played. */
    this.readOffset = 0;
    /** Samples buffered (all chunks, minus what was played of the first). */
    this.buffered = 0;
    this.playing = false;
    this.underruns = 0;
    this.skippedSamples = 0;
    this.playedSamples = 0;
    this.lastReport = 0;
    this.port.onmessage = (event) => this.receive(event.data);
  }

  ms(milliseconds) {
    return Math.round((milliseconds * sampleRate) / 1000);
  }

  receive(message) {
    switch (message.type) {
      case 'pcm':
        this.queue.push(message.channels);
        this.buffered += message.channels[0].length;
        this.trim();
        break;
      case 'config':
        this.targetSamples = this.ms(message.targetMs);
        this.maxSamples = this.ms(message.maxMs);
        break;
    }
  }

  /** Skips the oldest audio when the buffer holds more than `maxSamples`. */
  trim() {
    if (this.buffered <= this.maxSamples) return;
    let excess = this.buffered - this.targetSamples;
    while (excess > 0 && this.queue.length > 0) {
      const left = this.queue[0][0].length - this.readOffset;
      const take = Math.min(left, excess);
      this.readOffset += take;
      this.buffered -= take;
      this.skippedSamples += take;
      excess -= take;
      if (this.readOffset === this.queue[0][0].length) {
        this.queue.shift();
        this.readOffset = 0;
      }
    }
  }

  process(_inputs, outputs) {
    const output = outputs[0];
    const frames = output[0].length;
    if (!this.playing && this.buffered >= this.targetSamples) this.playing = true;
    let written = 0;
    if (this.playing) {
      while (written < frames && this.queue.length > 0) {
        const chunk = this.queue[0];
        const take = Math.min(frames - written, chunk[0].length - this.readOffset);
        for (let c = 0; c < output.length; c++) {
          // A mono stream on a stereo output (or the reverse) uses the channel it has.
          const source = chunk[Math.min(c, chunk.length - 1)];
          output[c].set(source.subarray(this.readOffset, this.readOffset + take), written);
        }
        written += take;
        this.readOffset += take;
        this.buffered -= take;
        if (this.readOffset === chunk[0].length) {
          this.queue.shift();
          this.readOffset = 0;
        }
      }
      if (written < frames) {
        // Ran dry: silence until the target is buffered again.
        this.playing = false;
        this.underruns += 1;
      }
    }
    // The rest of the block stays silent (outputs start zeroed).
    this.playedSamples += written;
    if (currentTime - this.lastReport >= REPORT_EVERY_SECONDS) {
      this.lastReport = currentTime;
      this.port.postMessage({
        bufferedMs: (this.buffered * 1000) / sampleRate,
        underruns: this.underruns,
        skippedMs: (this.skippedSamples * 1000) / sampleRate,
        playedMs: (this.playedSamples * 1000) / sampleRate,
        playing: this.playing,
      });
    }
    return true; // keep running: the output never stops
  }
}

registerProcessor('jitter-buffer', JitterBufferProcessor);
