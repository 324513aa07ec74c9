/**
 * Commands (spec §6.6). The domain `Command` is one flat union; on the wire it is a CHOICE of
 * groups (console, stats, log, unikernel, policy, block), each itself a CHOICE.
 */
import type { Command as CommandT, ConsoleQuery as ConsoleQueryT } from "../../domain/command.js"
import type { UnikernelArguments, UnikernelConfig } from "../../domain/unikernel.js"
import {
  alternative,
  bigInt,
  boolean,
  choice,
  type Codec,
  explicit,
  generalizedTime,
  group,
  int,
  legacy,
  map,
  nul,
  octetString,
  optional,
  refused,
  sequence,
  sequenceOf,
  utf8,
  variant
} from "../der/index.js"
import { Policy } from "./common.js"
import { Args, ArgsV0, ArgsV1, Config, ConfigV3, ConfigV4 } from "./config.js"

/** subscribe [2] CHOICE { since [0] GeneralizedTime, count [1] INTEGER } */
const ConsoleQuery: Codec<ConsoleQueryT> = choice<ConsoleQueryT>("ConsoleQuery", [
  variant("since", explicit(0, generalizedTime), "Since", (since) => ({ _tag: "Since", since }), (q) => q.since),
  variant("count", explicit(1, bigInt), "Count", (count) => ({ _tag: "Count", count }), (q) => q.count)
])

/** ConsoleCmd ::= CHOICE { add [0] INTEGER, subscribe [2] ConsoleQuery, list-inactive [3] NULL }  -- [1] retired */
export const ConsoleCmd: Codec<CommandT> = choice<CommandT>("ConsoleCmd", [
  variant("add", explicit(0, bigInt), "ConsoleAdd", (n) => ({ _tag: "ConsoleAdd", n }), (c) => c.n),
  variant("subscribe", explicit(2, ConsoleQuery), "ConsoleSubscribe", (query) => ({ _tag: "ConsoleSubscribe", query }), (c) => c.query),
  variant("list-inactive", explicit(3, nul), "ConsoleListInactive", () => ({ _tag: "ConsoleListInactive" }), () => null)
])

/** StatsCmd ::= CHOICE { add [0] SEQUENCE { vmmdev UTF8String, pid INTEGER,
 *    nets SEQUENCE OF SEQUENCE { netif UTF8String, tap UTF8String } },
 *    remove [1] NULL, subscribe [2] NULL, initial [3] NULL } */
export const StatsCmd: Codec<CommandT> = choice<CommandT>("StatsCmd", [
  variant(
    "add",
    explicit(0, sequence({ vmmdev: utf8, pid: int, taps: sequenceOf(sequence({ bridge: utf8, tap: utf8 })) })),
    "StatsAdd",
    (a) => ({ _tag: "StatsAdd", vmmdev: a.vmmdev, pid: a.pid, taps: a.taps }),
    (c) => ({ vmmdev: c.vmmdev, pid: c.pid, taps: c.taps })
  ),
  variant("remove", explicit(1, nul), "StatsRemove", () => ({ _tag: "StatsRemove" }), () => null),
  variant("subscribe", explicit(2, nul), "StatsSubscribe", () => ({ _tag: "StatsSubscribe" }), () => null),
  variant("initial", explicit(3, nul), "StatsInitial", () => ({ _tag: "StatsInitial" }), () => null)
])

/** restart [14] CHOICE { none [0] NULL, args-v0 [1] ArgsV0, args-v1 [2] ArgsV1, args [3] Args } */
const RestartArgs: Codec<UnikernelArguments | null> = choice<UnikernelArguments | null>("RestartArgs", [
  alternative("none", map(explicit(0, nul), () => null, () => null), (a) => a === null),
  legacy("args-v0", explicit(1, ArgsV0), (a) => a),
  legacy("args-v1", explicit(2, ArgsV1), (a) => a),
  alternative("args", map(explicit(3, Args), (a): UnikernelArguments | null => a, (a) => a!), (a) => a !== null)
])

const create = (config: UnikernelConfig): CommandT => ({ _tag: "UnikernelCreate", config })
const forceCreate = (config: UnikernelConfig): CommandT => ({ _tag: "UnikernelForceCreate", config })

/** UnikernelCmd ::= CHOICE { destroy [3] NULL, create-v3 [9], force-create-v3 [10], get [11] INTEGER,
 *    restart [14] RestartArgs, info-old4 [15] NULL, create-v4 [16], force-create-v4 [17],
 *    info-old5 [18] NULL, info [19] NULL, create [20] Config, force-create [21] Config } */
export const UnikernelCmd: Codec<CommandT> = choice<CommandT>("UnikernelCmd", [
  variant("destroy", explicit(3, nul), "UnikernelDestroy", () => ({ _tag: "UnikernelDestroy" }), () => null),
  legacy("create-v3", explicit(9, ConfigV3), create),
  legacy("force-create-v3", explicit(10, ConfigV3), forceCreate),
  variant("get", explicit(11, int), "UnikernelGet", (level) => ({ _tag: "UnikernelGet", level }), (c) => c.level),
  variant("restart", explicit(14, RestartArgs), "UnikernelRestart", (args) => ({ _tag: "UnikernelRestart", args }), (c) => c.args),
  variant("info-old4", explicit(15, nul), "OldUnikernelInfo4", () => ({ _tag: "OldUnikernelInfo4" }), () => null),
  legacy("create-v4", explicit(16, ConfigV4), create),
  legacy("force-create-v4", explicit(17, ConfigV4), forceCreate),
  variant("info-old5", explicit(18, nul), "OldUnikernelInfo5", () => ({ _tag: "OldUnikernelInfo5" }), () => null),
  variant("info", explicit(19, nul), "UnikernelInfo", () => ({ _tag: "UnikernelInfo" }), () => null),
  variant("create", explicit(20, Config), "UnikernelCreate", create, (c) => c.config),
  variant("force-create", explicit(21, Config), "UnikernelForceCreate", forceCreate, (c) => c.config)
])

/** PolicyCmd ::= CHOICE { info [0] NULL, add [1] Policy, remove [2] NULL } */
export const PolicyCmd: Codec<CommandT> = choice<CommandT>("PolicyCmd", [
  variant("info", explicit(0, nul), "PolicyInfo", () => ({ _tag: "PolicyInfo" }), () => null),
  variant("add", explicit(1, Policy), "PolicyAdd", (policy) => ({ _tag: "PolicyAdd", policy }), (c) => c.policy),
  variant("remove", explicit(2, nul), "PolicyRemove", () => ({ _tag: "PolicyRemove" }), () => null)
])

/** BlockCmd ::= CHOICE { info [0] NULL, add [1] INTEGER, remove [2] NULL,
 *    add-old [3] SEQUENCE { size INTEGER, compressed BOOLEAN, data OCTET STRING OPTIONAL },
 *    set-old [4] SEQUENCE { compressed BOOLEAN, data OCTET STRING },
 *    dump-old [5] INTEGER, dump [6] INTEGER, set [7] BOOLEAN } */
export const BlockCmd: Codec<CommandT> = choice<CommandT>("BlockCmd", [
  variant("info", explicit(0, nul), "BlockInfo", () => ({ _tag: "BlockInfo" }), () => null),
  variant("add", explicit(1, int), "BlockAdd", (size) => ({ _tag: "BlockAdd", size }), (c) => c.size),
  variant("remove", explicit(2, nul), "BlockRemove", () => ({ _tag: "BlockRemove" }), () => null),
  variant(
    "add-old",
    explicit(3, sequence({ size: int, compressed: boolean, data: optional(octetString) })),
    "OldBlockAdd",
    (a) => ({ _tag: "OldBlockAdd", size: a.size, compressed: a.compressed, data: a.data }),
    (c) => ({ size: c.size, compressed: c.compressed, data: c.data })
  ),
  variant(
    "set-old",
    explicit(4, sequence({ compressed: boolean, data: octetString })),
    "OldBlockSet",
    (a) => ({ _tag: "OldBlockSet", compressed: a.compressed, data: a.data }),
    (c) => ({ compressed: c.compressed, data: c.data })
  ),
  variant("dump-old", explicit(5, int), "OldBlockDump", (level) => ({ _tag: "OldBlockDump", level }), (c) => c.level),
  variant("dump", explicit(6, int), "BlockDump", (level) => ({ _tag: "BlockDump", level }), (c) => c.level),
  variant("set", explicit(7, boolean), "BlockSet", (compressed) => ({ _tag: "BlockSet", compressed }), (c) => c.compressed)
])

/** Command ::= CHOICE { console [0] ConsoleCmd, stats [1] StatsCmd, log [2] NULL -- rejected,
 *    unikernel [3] UnikernelCmd, policy [4] PolicyCmd, block [5] BlockCmd } */
export const Command: Codec<CommandT> = choice<CommandT>("Command", [
  group("console", explicit(0, ConsoleCmd), ["ConsoleAdd", "ConsoleSubscribe", "ConsoleListInactive"]),
  group("stats", explicit(1, StatsCmd), ["StatsAdd", "StatsRemove", "StatsSubscribe", "StatsInitial"]),
  refused("log", explicit(2, nul), "support for log dropped"),
  group("unikernel", explicit(3, UnikernelCmd), [
    "UnikernelDestroy",
    "UnikernelGet",
    "UnikernelRestart",
    "OldUnikernelInfo4",
    "OldUnikernelInfo5",
    "UnikernelInfo",
    "UnikernelCreate",
    "UnikernelForceCreate"
  ]),
  group("policy", explicit(4, PolicyCmd), ["PolicyInfo", "PolicyAdd", "PolicyRemove"]),
  group("block", explicit(5, BlockCmd), [
    "BlockInfo",
    "BlockAdd",
    "BlockRemove",
    "OldBlockAdd",
    "OldBlockSet",
    "OldBlockDump",
    "BlockDump",
    "BlockSet"
  ])
])
