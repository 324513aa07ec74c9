/**
 * The host port of albatrossd built from the host services (src/services), so the same daemon
 * runs on the Linux layers, the FreeBSD layers, or the deterministic test layers.
 */
import { Effect, Either, Option, Stream } from "effect"
import { checkManifestDevices } from "../../domain/solo5-elf.js"
import { Blocks } from "../../services/blocks.js"
import { Fifo } from "../../services/fifo.js"
import { HostFacts, rootPolicy } from "../../services/host-facts.js"
import { Image } from "../../services/image.js"
import { Network } from "../../services/network.js"
import { StateStore } from "../../services/state-store.js"
import { Tender } from "../../services/tender.js"
import { HostError, type VmmHost } from "./host.js"

/** How long a successful tender lookup is reused. */
export const TENDER_CACHE_MS = 10_000

const hostError = (e: { readonly message: string }) => new HostError({ message: e.message })

export const hostFromServices = (os: "linux" | "freebsd") =>
  Effect.gen(function* () {
    const facts = yield* HostFacts
    const image = yield* Image
    const network = yield* Network
    const fifo = yield* Fifo
    const tender = yield* Tender
    const blocks = yield* Blocks
    const store = yield* StateStore

    // a tender found and checked (`--version`) is trusted for a while: running it before every
    // create costs a process spawn, and a restore of many unikernels would pay it each time
    const tenders = new Map<string, { readonly path: string; readonly until: number }>()
    const lookupTender = (target: "hvt" | "spt", abi: number) =>
      Effect.gen(function* () {
        const key = `${target}.${abi}`
        const now = Date.now()
        const cached = tenders.get(key)
        if (cached !== undefined && cached.until > now) return cached.path
        const path = yield* Effect.mapError(tender.lookup(target, abi), hostError)
        tenders.set(key, { path, until: now + TENDER_CACHE_MS })
        return path
      })

    const host: VmmHost = {
      os,
      rootPolicy: Effect.mapError(Effect.provideService(rootPolicy, HostFacts, facts), hostError),
      checkImage: (_name, config) =>
        Effect.gen(function* () {
          const img = yield* Effect.mapError(image.inspect(config.compressed, config.image), hostError)
          const path = yield* lookupTender(img.target, img.abi)
          const manifest = checkManifestDevices(img.manifest, config)
          if (Either.isLeft(manifest)) return yield* new HostError({ message: manifest.left })
          return { image: img.image, digest: img.digest, tender: path }
        }),
      checkManifest: (config) =>
        Effect.gen(function* () {
          const img = yield* Effect.mapError(image.inspect(config.compressed, config.image), hostError)
          const manifest = checkManifestDevices(img.manifest, config)
          if (Either.isLeft(manifest)) return yield* new HostError({ message: manifest.left })
        }),
      writeImage: (path, bytes) => Effect.mapError(image.write(path, bytes), hostError),
      removeFile: (path) => Effect.mapError(image.remove(path), hostError),
      checkBridge: (bridge) => Effect.mapError(network.checkBridge(bridge), hostError),
      createFifo: (path) => Effect.mapError(fifo.create(path), hostError),
      createTap: (bridge) => Effect.mapError(network.createTap(bridge), hostError),
      destroyTap: (tap) => Effect.mapError(network.destroyTap(tap), hostError),
      spawn: (argv, path) =>
        Effect.map(Effect.mapError(tender.spawn(argv, path), hostError), (handle) => ({
          pid: handle.pid,
          exit: handle.exit,
          terminate: handle.terminate,
          kill: handle.kill
        })),
      bootBhyve: (boot) => Effect.mapError(tender.bootBhyve(boot), hostError),
      destroyBhyve: (vm) => Effect.mapError(tender.destroyBhyve(vm), hostError),
      discoverBlocks: blocks.discover,
      createBlock: (name, size, data) => Effect.mapError(blocks.create(name, size, data), hostError),
      removeBlock: (name) => Effect.mapError(blocks.remove(name), hostError),
      setBlock: (name, size, compressed, chunks) =>
        Effect.mapError(blocks.set(name, size, compressed, chunks), (e) => (e instanceof HostError ? e : hostError(e))),
      dumpBlock: (name, level) => Stream.mapError(blocks.dump(name, level), hostError),
      readState: Effect.mapError(Effect.map(store.restore, Option.some), hostError),
      writeState: (state) => Effect.mapError(store.dump(state), hostError),
      snapshotStarted: store.snapshotStarted
    }
    return host
  })
