/**
 * Creating one unikernel (spec §4.5), called with the global lock held.
 *
 * Deliberate fixes (spec §13.3 items 3-4): every host resource made on the way (image file,
 * FIFO, taps) is released again when a later step fails, and the reply names the step that
 * failed (a failed spawn says so, instead of "console failed").
 */
import { Data, Effect, Either, Fiber } from "effect"
import { deriveMac } from "../../domain/mac.js"
import type { Name } from "../../domain/name.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"
import { bhyveArgv, bhyveDisk0, bhyveVmName, checkBhyveDeviceOrder, solo5Argv } from "../../services/tender-argv.js"
import { fifoPath, imagePath, type TapAssignment } from "./cmdline.js"
import { type Daemon, dumpState, nameKey, persistedState, type Running } from "./daemon.js"
import type { HostError } from "./host.js"

export class CreateError extends Data.TaggedError("CreateError")<{ readonly message: string }> {}

const consoleQuota = (d: Daemon, name: Name): bigint => d.acc.consoleQuota(name)

const fail = (message: string) => Effect.fail(new CreateError({ message }))
const hostFail = (e: HostError) => new CreateError({ message: e.message })

/** The persisted state as it will be once `name` runs `config`: what a create persists. */
/**
 * Spec §4.5 steps 1-6: checks, host preparation, console, spawn, accounting. Does not start
 * supervision (the caller does, under the same lock hold).
 *
 * With `persist`, the state file that lists the new unikernel is written while the host is
 * prepared and the tender spawned (the write and its fsyncs take about as long as those steps),
 * and this completes only once it is on disk, so the caller's reply still follows durability.
 * It starts after the checks, so a refused create writes nothing; a create that fails later
 * writes the state again without it (and waits for that) before failing.
 */
export const spawnUnikernel = (
  d: Daemon,
  name: Name,
  config: UnikernelConfig,
  persist = false
): Effect.Effect<Running, CreateError> =>
  Effect.gen(function* () {
    if (d.acc.hasUnikernel(name)) return yield* fail("Unikernel with same name is already running")
    const refused = d.acc.checkUnikernel(name, config)
    if (refused !== undefined) return yield* fail(refused)
    for (const b of config.blockDevices) {
      const block = name.blockName(b.device ?? b.name)
      if (d.blocksBeingSet.has(nameKey(block))) return yield* fail(`block device ${block.toString()} already in use`)
    }
    const bhyve = config.typ === "bhyve"
    if (bhyve) {
      const order = checkBhyveDeviceOrder(config)
      if (Either.isLeft(order)) return yield* fail(order.left)
    }

    // what exists so far, released in reverse if a later step fails
    const made: Array<Effect.Effect<void>> = []
    const undo = Effect.suspend(() => Effect.forEach(made.reverse(), (e) => e, { discard: true }))
    const logged = (what: string, e: Effect.Effect<void, HostError>) =>
      e.pipe(Effect.catchAll((err) => Effect.logError(`cleaning up ${name.toString()}: ${what}: ${err.message}`)))

    // the early state write (see above), awaited before success and before failure
    let dumping: Fiber.RuntimeFiber<void> | undefined

    const steps = Effect.gen(function* () {
      const vm = bhyve ? bhyveVmName(Math.random()) : undefined
      const checked = bhyve
        ? { image: new Uint8Array(), digest: new TextEncoder().encode(vm), tender: "bhyve" }
        : yield* Effect.mapError(d.host.checkImage(name, config), hostFail)
      // spec §5.2: the bridges of a Solo5 unikernel must exist before anything else is made
      if (!bhyve) for (const b of config.bridges) yield* Effect.mapError(d.host.checkBridge(b.bridge ?? b.netif), hostFail)
      if (persist && !d.shuttingDown) {
        const state = persistedState(d, { name, config })
        dumping = yield* Effect.fork(
          d.host.writeState(state).pipe(Effect.catchAll((e) => Effect.logError(`failed to write state: ${e.message}`)))
        )
      }
      // the image is written while the FIFO and the console are set up; the spawn waits for it
      let imageWritten: Fiber.RuntimeFiber<void, CreateError> | undefined
      if (!bhyve) {
        const image = imagePath(d.options.tmpdir, name)
        const writing = yield* Effect.fork(Effect.mapError(d.host.writeImage(image, checked.image), hostFail))
        imageWritten = writing
        made.push(Effect.zipRight(Fiber.await(writing), logged("image", d.host.removeFile(image))))
      }
      const fifo = fifoPath(d.options.tmpdir, name)
      yield* Effect.mapError(d.host.createFifo(fifo), hostFail)
      made.push(logged("fifo", d.host.removeFile(fifo)))
      const taps: Array<TapAssignment> = []
      for (const b of config.bridges) {
        const bridge = b.bridge ?? b.netif
        const tap = yield* Effect.mapError(d.host.createTap(bridge), hostFail)
        made.push(logged(`tap ${tap}`, d.host.destroyTap(tap)))
        taps.push({ netif: b.netif, bridge, tap, mac: b.mac ?? deriveMac(name, b.netif) })
      }
      yield* d.console
        .add(name, consoleQuota(d, name))
        .pipe(Effect.mapError((e) => new CreateError({ message: `could not create unikernel: console failed (${e.message})` })))
      // the console round trip gave up the event loop: look again before committing
      const again = d.acc.checkUnikernel(name, config)
      if (again !== undefined) return yield* fail(again)
      let argv: ReadonlyArray<string>
      if (imageWritten !== undefined) yield* Fiber.join(imageWritten)
      if (vm !== undefined) {
        const disk0 = bhyveDisk0(config)
        if (Either.isLeft(disk0)) return yield* fail(disk0.left)
        yield* Effect.mapError(
          d.host.bootBhyve({ vm, memory: config.memory, disk0: disk0.right, linuxBootPartition: config.linuxBootPartition }),
          hostFail
        )
        made.push(logged(`vm ${vm}`, d.host.destroyBhyve(vm)))
        argv = bhyveArgv({ vm, name, config, taps: taps.map((t) => t.tap) })
      } else {
        argv = solo5Argv({
          os: d.host.os === "freebsd" ? "FreeBSD" : "Linux",
          tender: checked.tender,
          name,
          config,
          taps: taps.map((t) => t.tap),
          paths: { tmpdir: d.options.tmpdir, dbdir: d.options.dbdir },
          dropPath: d.options.dropPath
        })
      }
      const process = yield* d.host
        .spawn(argv, fifo)
        .pipe(Effect.mapError((e) => new CreateError({ message: `could not create unikernel: ${e.message}` })))
      const started = new Date(yield* Effect.clockWith((c) => c.currentTimeMillis))
      const running: Running = { name, config, process, taps, digest: checked.digest, started, argv, vm, released: false }
      const accounted = d.acc.addUnikernel(name, config)
      if (accounted !== undefined) {
        // cannot happen after the check above; never leave a tender running unaccounted
        yield* process.terminate
        yield* process.exit
        return yield* fail(accounted)
      }
      yield* Effect.logInfo(`created ${name.display()}: ${argv.join(" ")}`)
      yield* d.stats.add({ name, vmmdev: vmmDevice(d, running), pid: process.pid, taps: taps.map((t) => ({ bridge: t.netif, tap: t.tap })) })
      if (dumping !== undefined) yield* Fiber.join(dumping)
      return running
    })
    // a failed create must not stay persisted: wait for the early write, then write without it
    const unpersist = Effect.suspend(() =>
      dumping === undefined ? Effect.void : Effect.zipRight(Fiber.await(dumping), dumpState(d))
    )
    // a defect in a host operation fails this create only, never the daemon
    const guarded = Effect.catchAllDefect(steps, (defect) => Effect.fail(new CreateError({ message: `could not create unikernel: internal error: ${String(defect)}` })))
    return yield* guarded.pipe(Effect.onError(() => Effect.zipRight(undo, unpersist)))
  })

/**
 * The VMM device albatross-stats reads: `solo5-<pid>` for Solo5 on FreeBSD, the VM name for
 * bhyve (deliberate fix, spec §13.3 item 6: the reference sends `solo5-<pid>` for bhyve too),
 * nothing on Linux.
 */
export const vmmDevice = (d: Daemon, r: Running): string =>
  r.vm !== undefined ? r.vm : d.host.os === "freebsd" ? `solo5-${r.process.pid}` : ""

/** Release what a running unikernel holds (spec §4.6), under the lock; idempotent. */
export const releaseUnikernel = (d: Daemon, r: Running, why: string): Effect.Effect<void> =>
  Effect.gen(function* () {
    if (r.released) return
    r.released = true
    const log = (what: string) => (e: HostError) => Effect.logError(`releasing ${r.name.toString()}: ${what}: ${e.message}`)
    if (r.vm !== undefined) yield* d.host.destroyBhyve(r.vm).pipe(Effect.catchAll(log(`vm ${r.vm}`)))
    yield* d.host.removeFile(imagePath(d.options.tmpdir, r.name)).pipe(Effect.catchAll(log("image")))
    yield* d.host.removeFile(fifoPath(d.options.tmpdir, r.name)).pipe(Effect.catchAll(log("fifo")))
    for (const t of r.taps) yield* d.host.destroyTap(t.tap).pipe(Effect.catchAll(log(`tap ${t.tap}`)))
    yield* Effect.logInfo(`${r.name.display()} stopped with ${why}`)
    yield* d.stats.remove(r.name)
    if (d.acc.hasUnikernel(r.name)) {
      const refused = d.acc.removeUnikernel(r.name)
      if (refused !== undefined) yield* Effect.logError(`releasing ${r.name.toString()}: ${refused}`)
    }
  })

export { dumpState }
