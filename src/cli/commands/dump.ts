/**
 * `inspect-dump` and `extract-dump` (spec §11.2, §11.5): offline reading of albatrossd's
 * persisted state file (`<dbdir>/state` by default).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Command, Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import type { Name } from "../../domain/name.js"
import type { PersistedState } from "../../domain/wire.js"
import { decodeState } from "../../wire/index.js"
import { applyJournal, parseJournal, STATE_JOURNAL_SUFFIX } from "../../wire/state-journal.js"
import { app, ClientEnv, error, json, warn } from "../client-env.js"
import { checkDirectory, defaultDbdir, jsonOption } from "../destination.js"
import { ExitCode } from "../exit-code.js"
import { dumpFileName, inflate, writeFileAtomic } from "../files.js"
import { runHandler } from "../handler.js"
import { configJson, policyJson } from "../json.js"
import { configPieces, configWithArgvPieces, nameText, policyText } from "../human.js"
import { nameArg } from "../options.js"

const fileOption = Options.text("file").pipe(
  Options.withDescription("File to read the dump from (a bare file name is taken inside --dbdir; default: state)"),
  Options.optional
)

const dbdirOption = Options.text("dbdir").pipe(Options.withDescription("Albatross database directory"), Options.optional)

/** `Fpath.is_seg`: a bare file name lives in dbdir, anything with a slash is used as given. */
export const stateFilePath = (dbdir: string, file: Option.Option<string>): string => {
  const name = Option.getOrElse(file, () => "state")
  return name.includes("/") ? name : path.join(dbdir, name)
}

/** Trie pre-order (`Vmm_trie.all`): by key, label by label, a prefix before its extensions. */
const compareKeys = (a: Name, b: Name): number => {
  const ka = a.key()
  const kb = b.key()
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i]! !== kb[i]!) return Buffer.compare(Buffer.from(ka[i]!), Buffer.from(kb[i]!))
  }
  return ka.length - kb.length
}

const loadState = (dbdirOpt: Option.Option<string>, file: Option.Option<string>) =>
  Effect.gen(function* () {
    const dbdir = Option.isSome(dbdirOpt) ? yield* checkDirectory(dbdirOpt.value) : defaultDbdir()
    const filePath = stateFilePath(dbdir, file)
    if (!fs.existsSync(filePath)) {
      yield* error("dump file not found")
      return Either.left(ExitCode.cliError)
    }
    const bytes = yield* Effect.either(Effect.try(() => new Uint8Array(fs.readFileSync(filePath))))
    if (Either.isLeft(bytes)) {
      yield* error(`error while reading dump file: ${String(bytes.left.error)}`)
      return Either.left(ExitCode.cliError)
    }
    const state = yield* Effect.either(decodeState(bytes.right))
    if (Either.isLeft(state)) {
      yield* error(`couldn't parse dump file: ${state.left.message}`)
      return Either.left(ExitCode.cliError)
    }
    return Either.right<PersistedState>(yield* withJournal(filePath, state.right))
  })

/**
 * albatrossd (albatross-ts) acknowledges changes to a large state in `state.journal` before it
 * rewrites `state` (docs/COMPATIBILITY.md): reading `state` while a journal is next to it shows
 * the state with the journal applied, as the daemon would restore it.
 */
const withJournal = (filePath: string, state: PersistedState) =>
  Effect.gen(function* () {
    const journalPath = `${filePath}${STATE_JOURNAL_SUFFIX}`
    if (path.basename(filePath) !== "state" || !fs.existsSync(journalPath)) return state
    const bytes = yield* Effect.either(Effect.try(() => new Uint8Array(fs.readFileSync(journalPath))))
    const parsed = Either.isRight(bytes) ? parseJournal(bytes.right) : Either.left(String(bytes.left.error))
    if (Either.isLeft(parsed)) {
      yield* warn(`ignoring ${journalPath}: ${parsed.left}`)
      return state
    }
    // an empty journal (only its header) is what a running albatrossd keeps once `state` is complete
    if (parsed.right.records.length === 0) return state
    yield* warn(`applied ${journalPath} (${parsed.right.records.length} records not yet in ${filePath})`)
    return applyJournal(state, parsed.right.records).state
  })

export const inspectDumpCommand = Command.make(
  "inspect-dump",
  { file: fileOption, dbdir: dbdirOption, json: jsonOption },
  (a) =>
    runHandler(
      a.json,
      Effect.gen(function* () {
        const loaded = yield* loadState(a.dbdir, a.file)
        if (Either.isLeft(loaded)) return loaded.left
        const unikernels = [...loaded.right.unikernels].sort((x, y) => compareKeys(x.name, y.name))
        const policies = [...loaded.right.policies].sort((x, y) => compareKeys(x.name, y.name))
        yield* json({
          unikernels: unikernels.map((u) => ({ name: u.name.toString(), value: configJson(u.config) })),
          policies: policies.map((p) => ({ name: p.name.toString(), value: policyJson(p.policy) }))
        })
        yield* app(`parsed ${unikernels.length} unikernels:`)
        for (const u of unikernels) yield* app(`${nameText(u.name)}: `, ...configPieces(u.config))
        yield* app(`parsed ${policies.length} policies:`)
        for (const p of policies) yield* app(`${nameText(p.name)}: ${policyText(p.policy)}`)
        return ExitCode.success
      })
    )
).pipe(Command.withDescription("Inspects an albatross dump file."))

export const extractDumpCommand = Command.make(
  "extract-dump",
  { name: nameArg(), file: fileOption, dbdir: dbdirOption, json: jsonOption },
  (a) =>
    runHandler(
      a.json,
      Effect.gen(function* () {
        const env = yield* ClientEnv
        const loaded = yield* loadState(a.dbdir, a.file)
        if (Either.isLeft(loaded)) return loaded.left
        const wanted = a.name.toString()
        const entry = loaded.right.unikernels.find((u) => u.name.toString() === wanted)
        if (entry === undefined) {
          yield* error("unikernel not found")
          return ExitCode.cliError
        }
        const image = entry.config.compressed ? yield* Effect.either(inflate(entry.config.image)) : Either.right(entry.config.image)
        if (Either.isLeft(image)) {
          yield* error(`failed to uncompress image: ${image.left}`)
          return ExitCode.cliError
        }
        const file = dumpFileName(env.tempDir, a.name, env.startTime)
        const written = yield* Effect.either(writeFileAtomic(file, image.right))
        if (Either.isLeft(written)) {
          yield* error(`failed to write image: ${written.left}`)
          return ExitCode.cliError
        }
        yield* app(`dumped image to ${file}`)
        yield* app(...configWithArgvPieces(entry.config))
        yield* json({ name: wanted, file, value: configJson(entry.config, file) })
        return ExitCode.success
      })
    )
).pipe(Command.withDescription("Extracts a unikernel image from an albatross dump file and prints its configuration."))

export const dumpCommands = [inspectDumpCommand, extractDumpCommand] as const
