// The binary audio batch (docs/PROTOCOL.md §7) and loss detection by sequence number.
//
//   offset 0  u8   kind (1 = audio batch; other kinds are ignored)
//          1  u8   frameCount (1…255)
//          2  u32  firstSequence (frame i has firstSequence + i, mod 2^32)
//          6  u64  captureTimeMicros (Unix time when the origin node received the batch)
//         14  then frameCount times: u16 length (1…1275), then one Opus packet
// All integers are big-endian.

/** The only `kind` this page understands. */
export const AUDIO_BATCH = 1;

const HEADER_BYTES = 14;

/**
 * Reads one binary message.
 * @param {ArrayBuffer} buffer
 * @returns {{kind: number, frameCount: number, firstSequence: number,
 *            captureTimeMicros: number, packets: Uint8Array[]} | null}
 *   null when the message is not a well-formed batch (a batch of another kind is returned with
 *   no packets, so that the caller can ignore it as the protocol asks).
 */
export function parseBatch(buffer) {
  if (buffer.byteLength < 1) return null;
  const view = new DataView(buffer);
  const kind = view.getUint8(0);
  if (kind !== AUDIO_BATCH) return { kind, frameCount: 0, firstSequence: 0, captureTimeMicros: 0, packets: [] };
  if (buffer.byteLength < HEADER_BYTES) return null;
  const frameCount = view.getUint8(1);
  const firstSequence = view.getUint32(2);
  // Microseconds since 1970 fit a double exactly for the next few centuries.
  const captureTimeMicros = Number(view.getBigUint64(6));
  const packets = [];
  let offset = HEADER_BYTES;
  for (let i = 0; i < frameCount; i++) {
    if (offset + 2 > buffer.byteLength) return null;
    const length = view.getUint16(offset);
    offset += 2;
    if (length < 1 || length > 1275 || offset + length > buffer.byteLength) return null;
    packets.push(new Uint8Array(buffer, offset, length));
    offset += length;
  }
  if (frameCount === 0 || offset !== buffer.byteLength) return null;
  return { kind, frameCount, firstSequence, captureTimeMicros, packets };
}

/**
 * Follows the sequence numbers of one connection and says how many frames were not delivered
 * before each batch (serial-number arithmetic, §7 "Detecting loss").
 */
export class SequenceTracker {
  constructor() {
    /** The sequence number the next batch should start with; null before the first batch. */
    this.expected = null;
  }

  /** Forget the last batch: a new connection starts at an arbitrary sequence number. */
  reset() {
    this.expected = null;
  }

  /**
   * @returns {number} frames missing before this batch (0 when contiguous or first).
   */
  next(firstSequence, frameCount) {
    let missing = 0;
    if (this.expected !== null) {
      // (int32)(firstSequence − expected): positive means frames were skipped.
      const delta = (firstSequence - this.expected) | 0;
      if (delta > 0) missing = delta;
    }
    this.expected = (firstSequence + frameCount) >>> 0;
    return missing;
  }
}
