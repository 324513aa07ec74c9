/**
 * Console FIFOs on a Unix host (Linux and FreeBSD alike).
 *
 * A FIFO must never be opened or read with a blocking call: Node runs blocking file calls on
 * its small libuv thread pool, and a read waiting for a silent unikernel would hold a thread
 * forever (nodejs/node#23220). The FIFO is opened with O_NONBLOCK (returns at once, even
 * before a writer exists) and read through a `net.Socket` on the fd, which libuv polls on the
 * event loop like any socket.
 */
import * as fs from "node:fs"
import * as net from "node:net"
// the module path, not the package index, which loads every Node platform module (about 35 MB)
import * as NodeStream from "@effect/platform-node/NodeStream"
import { Effect, Layer, Stream } from "effect"
import { ConsoleFifo, FifoError } from "../../services/console-fifo.js"

const errorText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException
  return err.code ?? err.message ?? String(e)
}

export const openFifo = (path: string): Effect.Effect<Stream.Stream<Uint8Array, FifoError>, FifoError> =>
  Effect.try({
    try: () => {
      const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
      if (!fs.fstatSync(fd).isFIFO()) {
        fs.closeSync(fd)
        throw Object.assign(new Error("not a FIFO"), { code: "not a FIFO" })
      }
      return fd
    },
    catch: (e) => new FifoError({ path, message: errorText(e) })
  }).pipe(
    Effect.map((fd) => {
      const socket = new net.Socket({ fd, readable: true, writable: false })
      return NodeStream.fromReadable<FifoError, Uint8Array>(
        () => socket,
        (e) => new FifoError({ path, message: errorText(e) })
      ).pipe(Stream.ensuring(Effect.sync(() => socket.destroy())))
    })
  )

export const linuxConsoleFifoLayer: Layer.Layer<ConsoleFifo> = Layer.succeed(ConsoleFifo, { open: openFifo })
