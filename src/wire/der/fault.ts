/**
 * The one internal failure of the codec. Decoders and encoders throw it (cheaply: it is not an
 * Error, so no stack is captured); the entry points in `src/wire/index.ts` catch it and turn it
 * into a typed `WireError`. Every combinator that descends into a named part prepends that part's
 * label on the way out, so the final message says where it failed: `header.sequence: ...`.
 */
export class Fault {
  readonly path: Array<string> = []
  constructor(readonly reason: string) {}

  /** `header.sequence`, `unikernels[3].config.image`. */
  where(): string {
    let out = ""
    for (const part of this.path) out += out === "" || part.startsWith("[") ? part : `.${part}`
    return out
  }

  describe(): string {
    const where = this.where()
    return where === "" ? this.reason : `${where}: ${this.reason}`
  }
}

export const fail = (reason: string): never => {
  throw new Fault(reason)
}

/** Adds `label` in front of the path of a Fault passing through; anything else is rethrown untouched. */
export const relabel = (e: unknown, label: string): never => {
  if (e instanceof Fault) e.path.unshift(label)
  throw e
}

export const hexByte = (b: number): string => `0x${b.toString(16).padStart(2, "0")}`
