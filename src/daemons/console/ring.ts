/**
 * The console history of one unikernel (spec §7.1, §7.4): the newest 1,024 (timestamp, line)
 * entries, oldest overwritten first. Timestamps are milliseconds since the epoch.
 *
 * Queries are bounded by construction (the deliberate fixes of spec §13.1 / §7.4): a `count`
 * is clamped to [0, 1024] (zero or negative gives nothing), and `since` walks back at most
 * once around the ring, so no query loops or allocates more than the ring holds.
 */
export const RING_SIZE = 1024

export interface RingEntry {
  readonly timestamp: number
  readonly line: Uint8Array
}

/**
 * A line is kept as (buffer, offset, length) rather than as a Uint8Array view: a view object
 * costs more memory than a 60-byte line itself. The line reader packs the lines of one read
 * into one buffer, so the ring holds at most one buffer beyond its own lines (the oldest read's,
 * partly overwritten).
 *
 * The arrays start small and double until they reach `capacity` (most unikernels print a few
 * dozen lines at boot and little after); they only wrap around once at full size.
 */
const INITIAL_SLOTS = 32

export class Ring {
  private timestamps: Float64Array
  private buffers: Array<ArrayBufferLike | undefined>
  private offsets: Int32Array
  private lengths: Int32Array
  /** Slots allocated so far (grows to `capacity`). */
  private slots: number
  /** Index of the next write. */
  private next = 0
  private filled = 0

  constructor(readonly capacity: number = RING_SIZE) {
    this.slots = Math.min(INITIAL_SLOTS, capacity)
    this.timestamps = new Float64Array(this.slots)
    this.buffers = new Array<ArrayBufferLike | undefined>(this.slots).fill(undefined)
    this.offsets = new Int32Array(this.slots)
    this.lengths = new Int32Array(this.slots)
  }

  /** Doubles the arrays; only called before the first wrap-around, so indices stay valid. */
  private grow(): void {
    const slots = Math.min(this.slots * 2, this.capacity)
    const t = new Float64Array(slots)
    t.set(this.timestamps)
    const o = new Int32Array(slots)
    o.set(this.offsets)
    const l = new Int32Array(slots)
    l.set(this.lengths)
    const b = new Array<ArrayBufferLike | undefined>(slots).fill(undefined)
    for (let i = 0; i < this.slots; i++) b[i] = this.buffers[i]
    this.timestamps = t
    this.offsets = o
    this.lengths = l
    this.buffers = b
    // entries fill [0, old slots) in order; the next one goes right after them
    this.next = this.slots
    this.slots = slots
  }

  /** Entries currently held (at most `capacity`). */
  get size(): number {
    return this.filled
  }

  push(timestamp: number, line: Uint8Array): void {
    if (this.filled === this.slots && this.slots < this.capacity) this.grow()
    const i = this.next
    this.timestamps[i] = timestamp
    this.buffers[i] = line.buffer
    this.offsets[i] = line.byteOffset
    this.lengths[i] = line.byteLength
    this.next = (this.next + 1) % this.slots
    if (this.filled < this.capacity) this.filled++
  }

  /** Index of the i-th newest entry (0 = newest). */
  private back(i: number): number {
    return (this.next - 1 - i + 2 * this.slots) % this.slots
  }

  private entry(index: number): RingEntry {
    return { timestamp: this.timestamps[index]!, line: new Uint8Array(this.buffers[index]!, this.offsets[index]!, this.lengths[index]!) }
  }

  /** The newest `count` entries, oldest first; `count` clamped to [0, capacity]. */
  last(count: bigint | number): Array<RingEntry> {
    const wanted = typeof count === "bigint" ? clampBig(count, this.capacity) : clampNum(count, this.capacity)
    const n = Math.min(wanted, this.filled)
    const out = new Array<RingEntry>(n)
    for (let i = 0; i < n; i++) out[n - 1 - i] = this.entry(this.back(i))
    return out
  }

  /**
   * Entries with a timestamp at or after `since` (ms), oldest first: walks back from the newest
   * and stops at the first older one, as the reference does (an out-of-order clock hides what
   * lies behind the older entry). Never more than the ring holds.
   */
  since(since: number): Array<RingEntry> {
    let n = 0
    while (n < this.filled && this.timestamps[this.back(n)]! >= since) n++
    return this.last(n)
  }

  /** Every entry, oldest first. */
  all(): Array<RingEntry> {
    return this.last(this.filled)
  }
}

const clampBig = (n: bigint, max: number): number => (n <= 0n ? 0 : n >= BigInt(max) ? max : Number(n))
const clampNum = (n: number, max: number): number => (!(n > 0) ? 0 : n >= max ? max : Math.floor(n))
