/**
 * Creating one unikernel (spec §4.5), called with the global lock held.
 *
 * Deliberate fixes (spec §13.3 items 3-4): every host resource made on the way (image file,
 * FIFO, taps) is released again when a later step fails, and the reply names the step that
 * failed (a failed spawn says so, instead of "console failed").
 */
import { Data, Effect, Either } from "effect"
import { deriveMac } from "../../domain/mac.js"
import type { Name } from "../../domain/name.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"
import { bhyveArgv, bhyveDisk0, bhyveVmName, checkBhyveDeviceOrder, solo5Argv } from "../../services/tender-argv.js"
import { fifoPath, imagePath, type TapAssignment } from "./cmdline.js"
import { type Daemon, dumpState, nameKey, type Running } from "./daemon.js"
import type { HostError } from "./host.js"

export class CreateError extends Data.TaggedError("CreateError")<{ readonly message: string }> {}

const consoleQuota = (d: Daemon, name: Name): bigint => d.acc.consoleQuota(name)

const fail = (message: string) => Effect.fail(new CreateError({ message }))
const hostFail = (e: HostError) => new CreateError({ message: e.message })

/**
 * Spec §4.5 steps 1-6: checks, host preparation, console, spawn, accounting. Does not dump
 * and does not start supervision (the caller decides both).
 */
export const spawnUnikernel = (d: Daemon, name: Name, config: UnikernelConfig): Effect.Effect<Running, CreateError> =>
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

    const steps = Effect.gen(function* () {
      const vm = bhyve ? bhyveVmName(Math.random()) : undefined
      const checked = bhyve
        ? { image: new Uint8Array(), digest: new TextEncoder().encode(vm), tender: "bhyve" }
        : yield* Effect.mapError(d.host.checkImage(name, config), hostFail)
      if (!bhyve) {
        const image = imagePath(d.options.tmpdir, name)
        yield* Effect.mapError(d.host.writeImage(image, checked.image), hostFail)
        made.push(logged("image", d.host.removeFile(image)))
        // spec §5.2: the bridges of a Solo5 unikernel must exist before anything else is made
        for (const b of config.bridges) yield* Effect.mapError(d.host.checkBridge(b.bridge ?? b.netif), hostFail)
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
      return running
    })
    // a defect in a host operation fails this create only, never the daemon
    const guarded = Effect.catchAllDefect(steps, (defect) => Effect.fail(new CreateError({ message: `could not create unikernel: internal error: ${String(defect)}` })))
    return yield* guarded.pipe(Effect.onError(() => undo))
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
