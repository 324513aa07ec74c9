/**
 * A small port of the line-breaking engine of OCaml's `Format` module.
 *
 * Why: the reference client prints replies through `Logs` on `Format.std_formatter`
 * (margin 78), and its printers use break hints (`@ `), so an `info` reply wraps at
 * places that depend on the lengths of names, dates and lists. Operators compare our
 * output with theirs line by line; reproducing the algorithm (token queue, scan stack,
 * box kinds, flush on `@.`) is the only way to wrap at the same places.
 *
 * Only what the client's printers use is implemented: text, `@ ` breaks, `@[`/`@]`
 * boxes of the default kind, and `@.` (flush and newline).
 */

type BoxKind = "hov" | "box" | "fits"

type Token =
  | { readonly _tag: "text"; readonly text: string }
  | { readonly _tag: "break"; readonly width: number; readonly offset: number }
  | { readonly _tag: "begin"; readonly indent: number; readonly kind: "hov" | "box" }
  | { readonly _tag: "end" }

interface QueueElem {
  size: number // negative = not yet known
  readonly token: Token
  readonly length: number
}

interface ScanElem {
  readonly leftTotal: number
  readonly elem: QueueElem
}

const INFINITY = 1_000_000_010

export class OcamlFormatter {
  private readonly margin = 78
  private readonly maxIndent = 68
  private spaceLeft = 78
  private currentIndent = 0
  private isNewLine = true
  private leftTotal = 1
  private rightTotal = 1
  private depth = 0
  private queue: Array<QueueElem> = []
  private scanStack: Array<ScanElem> = []
  private formatStack: Array<{ kind: BoxKind; width: number }> = []
  private out = ""

  constructor() {
    this.reinit()
  }

  /** Everything printed so far (complete lines only after `newline()`). */
  get output(): string {
    return this.out
  }

  text(s: string): this {
    if (s.length === 0) return this
    this.enqueue({ size: s.length, token: { _tag: "text", text: s }, length: s.length })
    this.advanceLeft()
    return this
  }

  /** `@ `: a space, or a line break when what follows does not fit. */
  space(): this {
    const elem: QueueElem = { size: -this.rightTotal, token: { _tag: "break", width: 1, offset: 0 }, length: 1 }
    this.scanPush(true, elem)
    return this
  }

  /** `@[`: open a box of the default kind (`Pp_box`). */
  openBox(indent = 0): this {
    this.depth++
    this.scanPush(false, { size: -this.rightTotal, token: { _tag: "begin", indent, kind: "box" }, length: 0 })
    return this
  }

  /** `@]` */
  closeBox(): this {
    if (this.depth > 1) {
      this.enqueue({ size: 0, token: { _tag: "end" }, length: 0 })
      this.setSize(true)
      this.setSize(false)
      this.depth--
    }
    return this
  }

  /** `@.`: close every box, print what is pending, end the line and start afresh. */
  newline(): this {
    while (this.depth > 1) this.closeBox()
    this.rightTotal = INFINITY
    this.advanceLeft()
    this.out += "\n"
    this.reinit()
    return this
  }

  private reinit(): void {
    this.queue = []
    this.leftTotal = 1
    this.rightTotal = 1
    this.scanStack = []
    this.initializeScanStack()
    this.formatStack = []
    this.currentIndent = 0
    this.depth = 0
    this.spaceLeft = this.margin
    // the system box every formatter starts with
    this.depth++
    this.scanPush(false, { size: -this.rightTotal, token: { _tag: "begin", indent: 0, kind: "hov" }, length: 0 })
  }

  private initializeScanStack(): void {
    this.scanStack = [{ leftTotal: -1, elem: { size: -1, token: { _tag: "text", text: "" }, length: 0 } }]
  }

  private enqueue(elem: QueueElem): void {
    this.rightTotal += elem.length
    this.queue.push(elem)
  }

  private scanPush(isBreak: boolean, elem: QueueElem): void {
    this.enqueue(elem)
    if (isBreak) this.setSize(true)
    this.scanStack.push({ leftTotal: this.rightTotal, elem })
  }

  private setSize(forBreak: boolean): void {
    const top = this.scanStack[this.scanStack.length - 1]
    if (top === undefined) return
    if (top.leftTotal < this.leftTotal) {
      this.initializeScanStack()
      return
    }
    const tag = top.elem.token._tag
    if ((tag === "break" && forBreak) || (tag === "begin" && !forBreak)) {
      top.elem.size = this.rightTotal + top.elem.size
      this.scanStack.pop()
    }
  }

  private advanceLeft(): void {
    for (;;) {
      const head = this.queue[0]
      if (head === undefined) return
      const pending = this.rightTotal - this.leftTotal
      if (!(head.size >= 0 || pending >= this.spaceLeft)) return
      this.queue.shift()
      this.formatToken(head.size >= 0 ? head.size : INFINITY, head.token)
      this.leftTotal += head.length
    }
  }

  private breakNewLine(offset: number, width: number): void {
    this.out += "\n"
    this.isNewLine = true
    const indent = this.margin - width + offset
    this.currentIndent = Math.min(this.maxIndent, indent)
    this.spaceLeft = this.margin - this.currentIndent
    this.out += " ".repeat(Math.max(0, this.currentIndent))
  }

  private breakSameLine(width: number): void {
    this.spaceLeft -= width
    this.out += " ".repeat(width)
  }

  private formatToken(size: number, token: Token): void {
    switch (token._tag) {
      case "text":
        this.spaceLeft -= size
        this.out += token.text
        this.isNewLine = false
        return
      case "begin": {
        const insertion = this.margin - this.spaceLeft
        if (insertion > this.maxIndent) {
          // OCaml forces a break here when a box opens too far right; the client never does
          const top = this.formatStack[this.formatStack.length - 1]
          if (top !== undefined && top.kind !== "fits") this.breakNewLine(0, top.width)
        }
        const width = this.spaceLeft - token.indent
        const kind: BoxKind = size > this.spaceLeft ? token.kind : "fits"
        this.formatStack.push({ kind, width })
        return
      }
      case "end":
        this.formatStack.pop()
        return
      case "break": {
        const top = this.formatStack[this.formatStack.length - 1]
        if (top === undefined) return
        switch (top.kind) {
          case "fits":
            this.breakSameLine(token.width)
            return
          case "hov":
            if (size > this.spaceLeft) this.breakNewLine(token.offset, top.width)
            else this.breakSameLine(token.width)
            return
          case "box":
            if (this.isNewLine) this.breakSameLine(token.width)
            else if (size > this.spaceLeft) this.breakNewLine(token.offset, top.width)
            else if (this.currentIndent > this.margin - top.width + token.offset)
              this.breakNewLine(token.offset, top.width)
            else this.breakSameLine(token.width)
            return
        }
      }
    }
  }
}

/** Pieces of a message: strings, `@ ` break hints and `@.` flushes. */
export type Piece = string | typeof BREAK | typeof FLUSH

export const BREAK: unique symbol = Symbol("@ ")
export const FLUSH: unique symbol = Symbol("@.")

/**
 * Render one log message as `Logs_fmt` does: `<header>@[<message>@]@.`.
 * Returns the text including the final newline.
 */
export const renderLogMessage = (header: string, pieces: ReadonlyArray<Piece>): string => {
  const f = new OcamlFormatter()
  f.text(header)
  f.openBox()
  for (const piece of pieces) {
    if (piece === BREAK) f.space()
    else if (piece === FLUSH) f.newline()
    else f.text(piece)
  }
  f.closeBox()
  f.newline()
  return f.output
}
