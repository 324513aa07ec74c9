/**
 * `update NAME` (spec §11.7): ask the daemon for the unikernel's image digest, look the
 * build up in a builder-web repository, and when a newer build of the same job exists,
 * replace the unikernel with it (force-create with its current settings, MACs pinned).
 */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either } from "effect"
import type { UnikernelConfig, UnikernelInfo } from "../../domain/unikernel.js"
import { app, error, json, warn } from "../client-env.js"
import { defaultCompression, destinationOptions, resolveDestination } from "../destination.js"
import { ExitCode } from "../exit-code.js"
import { deflate } from "../files.js"
import { runHandler } from "../handler.js"
import { wirePieces } from "../human.js"
import { manifestMatches } from "../manifest.js"
import { compressionOption, nameArg } from "../options.js"
import { outputSingle, request } from "../session.js"

/** `http[s]://host` with an optional trailing slash, which is dropped. */
export const parseHttpHost = (s: string): Either.Either<string, string> => {
  const parts = s.split("/")
  const scheme = parts[0]
  const ok =
    (scheme === "http:" || scheme === "https:") &&
    parts[1] === "" &&
    parts[2] !== undefined &&
    (parts.length === 3 || (parts.length === 4 && parts[3] === ""))
  if (!ok) return Either.left("expected http[s]://hostname")
  return Either.right(parts.length === 4 ? s.slice(0, -1) : s)
}

const httpHost = Options.text("http-host").pipe(
  Options.withDescription("URL of the binary unikernel repository running builder-web"),
  Options.mapEffect((s) =>
    Either.match(parseHttpHost(s), {
      onLeft: (m) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`option '--http-host': ${m}`))),
      onRight: Effect.succeed
    })
  ),
  Options.withDefault("https://builds.robur.coop")
)

const dryrun = Options.boolean("dryrun").pipe(
  Options.withAlias("dry-run"),
  Options.withDescription("Run dry, do not make any changes")
)

class HttpProblem {
  constructor(readonly message: string) {}
}

/** `/job/<job>/build/<uuid>` with an optional trailing slash. */
const jobAndBuild = (location: string): Either.Either<{ job: string; build: string }, HttpProblem> => {
  const m = /^\/job\/([^/]+)\/build\/([^/]+)\/?$/.exec(location)
  return m === null
    ? Either.left(new HttpProblem(`expected '/job/<jobname>/build/<uuid>', got: ${location}`))
    : Either.right({ job: m[1]!, build: m[2]! })
}

const fetchEffect = (url: string, init: RequestInit) =>
  Effect.tryPromise({
    try: () => fetch(url, { ...init, signal: AbortSignal.timeout(60_000) }),
    catch: (e) => new HttpProblem(e instanceof Error ? e.message : String(e))
  })

const redirectTarget = (url: string) =>
  Effect.gen(function* () {
    const response = yield* fetchEffect(url, { redirect: "manual" })
    yield* Effect.promise(() => response.body?.cancel() ?? Promise.resolve())
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location")
      if (location === null) return yield* Effect.fail(new HttpProblem("no Location header received in HTTP reply"))
      return yield* jobAndBuild(location)
    }
    if (response.status === 404) return yield* Effect.fail(new HttpProblem("couldn't find the unikernel in the repository"))
    yield* warn(`received HTTP reply: ${response.status} ${response.statusText} from ${url}`)
    return yield* Effect.fail(new HttpProblem("unexpected HTTP reply"))
  })

const downloadBinary = (url: string) =>
  Effect.gen(function* () {
    const response = yield* fetchEffect(url, { redirect: "follow" })
    const body = new Uint8Array(yield* Effect.tryPromise({ try: () => response.arrayBuffer(), catch: (e) => new HttpProblem(String(e)) }))
    if (response.status >= 200 && response.status < 300 && body.length > 0) return body
    yield* warn(`received HTTP reply: ${response.status} ${response.statusText} from ${url}`)
    return yield* Effect.fail(new HttpProblem("unexpected HTTP reply"))
  })

/** The new configuration: the old settings with the new image, add_name on, current MACs pinned. */
const updatedConfig = (info: UnikernelInfo, image: Uint8Array, compressed: boolean): UnikernelConfig => ({
  typ: "solo5",
  compressed,
  image,
  failBehaviour: info.failBehaviour,
  startup: info.startup,
  addName: true,
  cpuids: info.cpuids,
  memory: info.memory,
  blockDevices: info.blockDevices.map((b) => ({ name: b.unikernelDevice, device: b.hostDevice, sectorSize: b.sectorSize })),
  bridges: info.bridges.map((n) => ({ netif: n.unikernelDevice, bridge: n.hostDevice, mac: n.mac })),
  argv: info.argv,
  numcpus: info.numcpus,
  linuxBootPartition: info.linuxBootPartition
})

export const updateCommand = Command.make(
  "update",
  { name: nameArg(), httpHost, dryrun, compression: compressionOption, ...destinationOptions },
  (a) =>
    runHandler(
      a.json,
      Effect.gen(function* () {
        const destination = yield* resolveDestination(a)
        const level = defaultCompression(destination, a.compression)
        const infoReply = yield* request(destination, a.name, { _tag: "UnikernelInfo" })
        if (Either.isLeft(infoReply)) return infoReply.left
        const { header, payload } = infoReply.right
        const success = payload._tag === "Success" ? payload.success : undefined
        const infos =
          success?._tag === "UnikernelInfo" || success?._tag === "OldUnikernelInfo4" || success?._tag === "OldUnikernelInfo5"
            ? success.unikernels
            : []
        const info = infos.length === 1 && infos[0]!.info.typ === "solo5" ? infos[0]!.info : undefined
        if (info === undefined) {
          const shown = payload._tag === "Command" ? [payload.command._tag] : wirePieces(header, payload)
          yield* error("unexpected reply: ", ...shown)
          return ExitCode.communicationFailed
        }
        const hash = Buffer.from(info.digest).toString("hex")
        const http = yield* Effect.either(
          Effect.gen(function* () {
            const current = yield* redirectTarget(`${a.httpHost}/hash?sha256=${hash}`)
            const latest = yield* redirectTarget(`${a.httpHost}/job/${current.job}/build/latest`)
            return { job: current.job, old: current.build, latest: latest.build }
          })
        )
        if (Either.isLeft(http)) {
          yield* error(`error in HTTP interaction: ${http.left.message}`)
          return ExitCode.httpFailed
        }
        const { job, old, latest } = http.right
        if (old === latest) {
          yield* app("already up to date")
          yield* json({ event: "up_to_date", job, build: old })
          return ExitCode.success
        }
        yield* app(`compare at ${a.httpHost}/compare/${old}/${latest}`)
        yield* json({ event: "update_available", job, build: old, latest, compare: `${a.httpHost}/compare/${old}/${latest}` })
        if (a.dryrun) return ExitCode.success
        const binary = yield* Effect.either(downloadBinary(`${a.httpHost}/job/${job}/build/${latest}/main-binary`))
        if (Either.isLeft(binary)) {
          yield* error(`error in HTTP interaction: ${binary.left.message}`)
          return ExitCode.httpFailed
        }
        const config = updatedConfig(info, binary.right, false)
        const matches = manifestMatches(binary.right, config.bridges, config.blockDevices)
        if (Either.isLeft(matches)) {
          yield* error(`manifest failed: ${matches.left}`)
          return ExitCode.internalError
        }
        const image = level === 0 ? Either.right(binary.right) : yield* Effect.either(deflate(binary.right, level))
        if (Either.isLeft(image)) {
          yield* error(`failed to compress: ${image.left}`)
          return ExitCode.internalError
        }
        const reply = yield* request(destination, a.name, {
          _tag: "UnikernelForceCreate",
          config: { ...config, image: image.right, compressed: level > 0 }
        })
        if (Either.isLeft(reply)) {
          yield* error("received error from albatross")
          return ExitCode.remoteCommandFailed
        }
        return yield* outputSingle(reply.right)
      })
    )
).pipe(Command.withDescription("Update a unikernel from the binary repository (builder-web)."))
