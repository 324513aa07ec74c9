/**
 * The listening Unix socket every daemon serves on (spec §6.4): a stale socket file is removed,
 * the socket is bound keeping the group permission bits (so `albatross` group members can
 * connect), or, under systemd socket activation, taken over from fd 3.
 * Each connection runs in its own fiber; closing the server's scope interrupts them all.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import { Data, Effect, FiberSet, Scope } from "effect"
import { type Connection, type ConnectionOptions, fromDuplex } from "./connection.js"

export class ListenError extends Data.TaggedError("ListenError")<{ readonly message: string }> {}

export interface ServeOptions {
  readonly path: string
  readonly systemdSocketActivation?: boolean
  readonly connection?: ConnectionOptions
  /** Upper bound on connections served at once; further ones are closed at once. */
  readonly maxConnections?: number
}

/** The fd handed over by systemd, after checking that it was meant for this process. */
export const systemdListenFd = (env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): number | undefined =>
  env["LISTEN_PID"] === String(pid) && env["LISTEN_FDS"] === "1" ? 3 : undefined

const removeStaleSocket = (path: string): Effect.Effect<void, ListenError> =>
  Effect.try({
    try: () => fs.unlinkSync(path),
    catch: (e) => e as NodeJS.ErrnoException
  }).pipe(
    Effect.catchAll((err) =>
      err.code === "ENOENT"
        ? Effect.void
        : Effect.fail(
            new ListenError({
              message:
                err.code === "EACCES"
                  ? `Couldn't unlink old socket file ${path} (EACCES), are the permissions of the socket file correct?`
                  : `Couldn't unlink old socket file ${path}: ${err.message}`
            })
          )
    )
  )

const listen = (server: net.Server, target: { path: string } | { fd: number }): Effect.Effect<void, ListenError> =>
  Effect.async<void, ListenError>((resume) => {
    const onError = (err: NodeJS.ErrnoException) =>
      resume(
        Effect.fail(
          new ListenError({
            message:
              "path" in target
                ? err.code === "EACCES"
                  ? `Couldn't bind socket ${target.path} (EACCES), are the permissions of the directory correct?`
                  : `Couldn't bind socket ${target.path}: ${err.message}`
                : `Couldn't listen on fd ${target.fd}: ${err.message}`
          })
        )
      )
    server.once("error", onError)
    const done = () => {
      server.off("error", onError)
      resume(Effect.void)
    }
    if ("path" in target) {
      // keep the group bits: the socket must be usable by the albatross group (spec §6.4)
      const previous = process.umask(process.umask() & 0o707)
      try {
        server.listen({ path: target.path, backlog: 511 }, done)
      } finally {
        process.umask(previous)
      }
    } else {
      server.listen({ fd: target.fd }, done)
    }
  })

/**
 * Serve `handler` on every connection until the surrounding scope closes.
 * Resolves once listening; the server lives in the scope.
 */
export const serveUnix = <R>(
  options: ServeOptions,
  handler: (conn: Connection) => Effect.Effect<void, never, R>
): Effect.Effect<void, ListenError, R | Scope.Scope> =>
  Effect.gen(function* () {
    const run = yield* FiberSet.makeRuntime<R>()
    const server = net.createServer({ pauseOnConnect: false })
    let active = 0
    const max = options.maxConnections ?? 1024
    // open sockets, destroyed when the server closes: server.close() waits for every connection
    // to end, and a long-lived peer (a stats channel, a subscriber) would otherwise keep it waiting
    const sockets = new Set<net.Socket>()
    server.on("connection", (socket) => {
      if (active >= max) {
        socket.destroy()
        return
      }
      active++
      sockets.add(socket)
      socket.once("close", () => {
        active--
        sockets.delete(socket)
      })
      run(Effect.scoped(Effect.flatMap(fromDuplex(socket, options.connection), handler)))
    })
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        for (const socket of sockets) socket.destroy()
      })
    )
    if (options.systemdSocketActivation === true) {
      const fd = systemdListenFd()
      if (fd === undefined) return yield* new ListenError({ message: "Systemd socket activation error" })
      yield* listen(server, { fd })
      yield* Effect.logInfo(`listening on systemd socket (fd ${fd})`)
    } else {
      yield* removeStaleSocket(options.path)
      yield* listen(server, { path: options.path })
      yield* Effect.logInfo(`listening on ${options.path}`)
    }
  })
