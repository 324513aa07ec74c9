/**
 * A scripted stand-in for albatross's daemons on real Unix sockets: each accepted
 * connection plays one recorded exchange (replies are sent once the client has sent what
 * the recording shows it sent before them), records every frame the client sent, then
 * closes. Frames are parsed with our own framing code.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { encodeFrame, FrameDecoder } from "../../../src/wire/framing.js"

export type ScriptStep =
  /** Wait until the client has sent this many frames (a zero-length end frame counts). */
  | { readonly _tag: "await"; readonly frames: number }
  /** Wait for the zero-length frame that ends a raw chunk stream. */
  | { readonly _tag: "awaitEnd" }
  | { readonly _tag: "send"; readonly payload: Uint8Array }

export interface ScriptedConnection {
  /** Relative to the tmpdir, e.g. `util/vmmd.sock`. */
  readonly socket: string
  readonly steps: ReadonlyArray<ScriptStep>
}

export interface RecordedConnection {
  readonly socket: string
  /** `null` = the zero-length end-of-stream frame. */
  readonly frames: Array<Uint8Array | null>
}

export class StubDaemons {
  readonly received: Array<RecordedConnection> = []
  private readonly servers: Array<net.Server> = []
  private readonly pending: Map<string, Array<ScriptedConnection>> = new Map()
  private readonly finished: Array<Promise<void>> = []

  private constructor(readonly tmpdir: string) {}

  /** Listen on every socket the script uses; connections are served in script order per socket. */
  static async start(tmpdir: string, script: ReadonlyArray<ScriptedConnection>): Promise<StubDaemons> {
    const stub = new StubDaemons(tmpdir)
    for (const conn of script) {
      const queue = stub.pending.get(conn.socket) ?? []
      queue.push(conn)
      stub.pending.set(conn.socket, queue)
    }
    for (const socket of stub.pending.keys()) await stub.listen(socket)
    return stub
  }

  private listen(socket: string): Promise<void> {
    const file = path.join(this.tmpdir, socket)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    if (fs.existsSync(file)) fs.unlinkSync(file)
    const server = net.createServer((conn) => {
      const script = this.pending.get(socket)?.shift()
      if (script === undefined) {
        conn.destroy()
        return
      }
      this.finished.push(this.serve(conn, script))
    })
    this.servers.push(server)
    return new Promise((resolve, reject) => {
      server.once("error", reject)
      server.listen(file, () => resolve())
    })
  }

  private serve(conn: net.Socket, script: ScriptedConnection): Promise<void> {
    const record: RecordedConnection = { socket: script.socket, frames: [] }
    this.received.push(record)
    const decoder = new FrameDecoder()
    let wake: (() => void) | undefined
    let peerClosed = false
    conn.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) record.frames.push(frame === null ? null : new Uint8Array(frame))
      wake?.()
    })
    conn.on("end", () => {
      peerClosed = true
      wake?.()
    })
    conn.on("error", () => {
      peerClosed = true
      wake?.()
    })
    const until = async (ready: () => boolean) => {
      while (!ready() && !peerClosed) await new Promise<void>((resolve) => (wake = resolve))
    }
    return (async () => {
      for (const step of script.steps) {
        if (step._tag === "await") await until(() => record.frames.length >= step.frames)
        else if (step._tag === "awaitEnd") await until(() => record.frames.includes(null))
        else if (!conn.destroyed) await new Promise<void>((resolve) => conn.write(encodeFrame(step.payload), () => resolve()))
      }
      // give the client the chance to send what it still has, then close our side
      await new Promise<void>((resolve) => {
        conn.end(() => resolve())
        setTimeout(resolve, 2000).unref()
      })
      await until(() => false)
      conn.destroy()
    })()
  }

  /** Wait for every served connection to end, then stop listening. */
  async close(): Promise<void> {
    await Promise.all(this.finished)
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  }
}
