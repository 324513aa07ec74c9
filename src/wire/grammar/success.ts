/** Success replies and the unikernel info forms (spec §6.6). */
import type { Success as SuccessT } from "../../domain/reply.js"
import type { BlockInfo as BlockInfoT, NetInfo as NetInfoT, UnikernelInfo } from "../../domain/unikernel.js"
import {
  boolean,
  choice,
  type Codec,
  encodedOnce,
  explicit,
  generalizedTime,
  int,
  mac,
  map,
  nul,
  octetString,
  optional,
  sequence,
  sequenceOf,
  setOf,
  utf8,
  variant
} from "../der/index.js"
import { emptyAsAbsent, FailBehaviour, intSet, NameCodec, Policy, singleCpuid, Typ } from "./common.js"

/** BlockInfo ::= SEQUENCE { unikernel-device UTF8String, host-device UTF8String, sector-size INTEGER, size-mb INTEGER } */
export const BlockInfo: Codec<BlockInfoT> = sequence({ unikernelDevice: utf8, hostDevice: utf8, sectorSize: int, size: int })

/** NetInfo ::= SEQUENCE { unikernel-device UTF8String, host-device UTF8String, mac OCTET STRING } */
export const NetInfo: Codec<NetInfoT> = sequence({ unikernelDevice: utf8, hostDevice: utf8, mac })

const blocks = optional(explicit(0, setOf(BlockInfo)))
const bridges = optional(explicit(1, setOf(NetInfo)))
const argv = optional(explicit(2, sequenceOf(utf8)))
const started = optional(explicit(3, generalizedTime))

/** Missing `started` reads as the Unix epoch. */
const EPOCH = 0

/** Info ::= SEQUENCE { typ, startup INTEGER OPTIONAL, fail-behaviour, cpuids SET OF INTEGER, memory,
 *    digest OCTET STRING, blocks [0] SET OF BlockInfo OPTIONAL, bridges [1] SET OF NetInfo OPTIONAL,
 *    argv [2] OPTIONAL, started [3] GeneralizedTime OPTIONAL, numcpus [4] INTEGER OPTIONAL,
 *    linux-boot [5] UTF8String OPTIONAL } */
export const Info: Codec<UnikernelInfo> = map(
  sequence({
    typ: Typ,
    startup: optional(int),
    failBehaviour: FailBehaviour,
    cpuids: setOf(int),
    memory: int,
    digest: octetString,
    blocks,
    bridges,
    argv,
    started,
    numcpus: optional(explicit(4, int)),
    linuxBoot: optional(explicit(5, utf8))
  }),
  (i) => ({
    typ: i.typ,
    failBehaviour: i.failBehaviour,
    startup: i.startup,
    cpuids: intSet(i.cpuids),
    memory: i.memory,
    blockDevices: i.blocks ?? [],
    bridges: i.bridges ?? [],
    argv: i.argv,
    digest: i.digest,
    started: i.started ?? new Date(EPOCH),
    numcpus: i.numcpus ?? 1,
    linuxBootPartition: i.linuxBoot
  }),
  (u) => ({
    typ: u.typ,
    startup: u.startup,
    failBehaviour: u.failBehaviour,
    cpuids: intSet(u.cpuids),
    memory: u.memory,
    digest: u.digest,
    blocks: emptyAsAbsent(u.blockDevices),
    bridges: emptyAsAbsent(u.bridges),
    argv: u.argv,
    started: u.started, // always written
    numcpus: u.numcpus, // always written
    linuxBoot: u.linuxBootPartition
  })
)

/**
 * Info as listed in replies: albatrossd keeps one info object per unikernel run where nothing
 * in it can change (see unikernelInfo), so each is encoded once; 4 KiB holds any info but one
 * with a very long argv.
 */
const InfoListed = encodedOnce(Info, 4096)

/** InfoV5 ::= SEQUENCE { typ, startup INTEGER OPTIONAL, fail-behaviour, cpuid INTEGER, memory, digest,
 *    blocks [0], bridges [1], argv [2], started [3] } */
export const InfoV5: Codec<UnikernelInfo> = map(
  sequence({
    typ: Typ,
    startup: optional(int),
    failBehaviour: FailBehaviour,
    cpuid: int,
    memory: int,
    digest: octetString,
    blocks,
    bridges,
    argv,
    started
  }),
  (i) => ({
    typ: i.typ,
    failBehaviour: i.failBehaviour,
    startup: i.startup,
    cpuids: [i.cpuid],
    memory: i.memory,
    blockDevices: i.blocks ?? [],
    bridges: i.bridges ?? [],
    argv: i.argv,
    digest: i.digest,
    started: i.started ?? new Date(EPOCH),
    numcpus: 1,
    linuxBootPartition: null
  }),
  (u) => ({
    typ: u.typ,
    startup: u.startup,
    failBehaviour: u.failBehaviour,
    cpuid: singleCpuid(u.cpuids, "v5 unikernel info"),
    memory: u.memory,
    digest: u.digest,
    blocks: emptyAsAbsent(u.blockDevices),
    bridges: emptyAsAbsent(u.bridges),
    argv: u.argv,
    started: u.started
  })
)

/** InfoV4 ::= InfoV5 without startup */
export const InfoV4: Codec<UnikernelInfo> = map(
  sequence({
    typ: Typ,
    failBehaviour: FailBehaviour,
    cpuid: int,
    memory: int,
    digest: octetString,
    blocks,
    bridges,
    argv,
    started
  }),
  (i) => ({
    typ: i.typ,
    failBehaviour: i.failBehaviour,
    startup: null,
    cpuids: [i.cpuid],
    memory: i.memory,
    blockDevices: i.blocks ?? [],
    bridges: i.bridges ?? [],
    argv: i.argv,
    digest: i.digest,
    started: i.started ?? new Date(EPOCH),
    numcpus: 1,
    linuxBootPartition: null
  }),
  (u) => ({
    typ: u.typ,
    failBehaviour: u.failBehaviour,
    cpuid: singleCpuid(u.cpuids, "v4 unikernel info"),
    memory: u.memory,
    digest: u.digest,
    blocks: emptyAsAbsent(u.blockDevices),
    bridges: emptyAsAbsent(u.bridges),
    argv: u.argv,
    started: u.started
  })
)

const named = <A>(info: Codec<A>) => sequenceOf(sequence({ name: NameCodec, info }))

/** Success ::= CHOICE { empty [0] NULL, string [1] UTF8String,
 *    policies [2] SEQUENCE OF SEQUENCE { name Name, policy Policy },
 *    block-devices [4] SEQUENCE OF SEQUENCE { name Name, size INTEGER, active BOOLEAN },
 *    unikernel-image [6] SEQUENCE { compressed BOOLEAN, image OCTET STRING },
 *    old-block-image [7] SEQUENCE { compressed BOOLEAN, data OCTET STRING },
 *    old-info4 [9] SEQUENCE OF SEQUENCE { name Name, info InfoV4 },
 *    block-device-image [10] BOOLEAN,
 *    old-info5 [11] SEQUENCE OF SEQUENCE { name Name, info InfoV5 },
 *    consoles [12] SEQUENCE OF Name,
 *    unikernel-info [13] SEQUENCE OF SEQUENCE { name Name, info Info } }   -- 3, 5, 8 retired */
export const Success: Codec<SuccessT> = choice<SuccessT>("Success", [
  variant("empty", explicit(0, nul), "Empty", () => ({ _tag: "Empty" }), () => null),
  variant("string", explicit(1, utf8), "String", (message) => ({ _tag: "String", message }), (s) => s.message),
  variant(
    "policies",
    explicit(2, sequenceOf(sequence({ name: NameCodec, policy: Policy }))),
    "Policies",
    (policies) => ({ _tag: "Policies", policies }),
    (s) => s.policies
  ),
  variant(
    "block-devices",
    explicit(4, sequenceOf(sequence({ name: NameCodec, size: int, active: boolean }))),
    "BlockDevices",
    (blockDevices) => ({ _tag: "BlockDevices", blockDevices }),
    (s) => s.blockDevices
  ),
  variant(
    "unikernel-image",
    explicit(6, sequence({ compressed: boolean, image: octetString })),
    "UnikernelImage",
    (i) => ({ _tag: "UnikernelImage", compressed: i.compressed, image: i.image }),
    (s) => ({ compressed: s.compressed, image: s.image })
  ),
  variant(
    "old-block-image",
    explicit(7, sequence({ compressed: boolean, data: octetString })),
    "OldBlockDeviceImage",
    (i) => ({ _tag: "OldBlockDeviceImage", compressed: i.compressed, image: i.data }),
    (s) => ({ compressed: s.compressed, data: s.image })
  ),
  variant("old-info4", explicit(9, named(InfoV4)), "OldUnikernelInfo4", (unikernels) => ({ _tag: "OldUnikernelInfo4", unikernels }), (s) => s.unikernels),
  variant("block-device-image", explicit(10, boolean), "BlockDeviceImage", (compressed) => ({ _tag: "BlockDeviceImage", compressed }), (s) => s.compressed),
  variant("old-info5", explicit(11, named(InfoV5)), "OldUnikernelInfo5", (unikernels) => ({ _tag: "OldUnikernelInfo5", unikernels }), (s) => s.unikernels),
  variant("consoles", explicit(12, sequenceOf(NameCodec)), "Consoles", (consoles) => ({ _tag: "Consoles", consoles }), (s) => s.consoles),
  variant("unikernel-info", explicit(13, named(InfoListed)), "UnikernelInfo", (unikernels) => ({ _tag: "UnikernelInfo", unikernels }), (s) => s.unikernels)
])
