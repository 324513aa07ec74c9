/**
 * Unikernel configurations and restart arguments, current and legacy (spec §6.6).
 * Old forms map to: cpuids = {cpuid}, numcpus = 1, linux-boot none, startup none where absent,
 * add-name true where absent. Only `Config` and `Args` are ever written.
 */
import type { UnikernelArguments, UnikernelConfig } from "../../domain/unikernel.js"
import {
  alternative,
  boolean,
  choice,
  type Codec,
  explicit,
  int,
  map,
  octetString,
  optional,
  sequence,
  sequenceOf,
  setOf,
  utf8
} from "../der/index.js"
import { BlockSpec, emptyAsAbsent, FailBehaviour, intSet, NetSpec, readOnly, Typ } from "./common.js"

const blocks = optional(explicit(0, setOf(BlockSpec)))
const bridges = optional(explicit(1, setOf(NetSpec)))
const argv = optional(explicit(2, sequenceOf(utf8)))

/** Config ::= SEQUENCE { typ, compressed, image, startup OPTIONAL, add-name, fail-behaviour,
 *    cpuids SET OF INTEGER, memory, blocks [0] OPTIONAL, bridges [1] OPTIONAL, argv [2] OPTIONAL,
 *    numcpus [3] INTEGER OPTIONAL, linux-boot [4] UTF8String OPTIONAL }   -- current ("v5") */
export const Config: Codec<UnikernelConfig> = map(
  sequence({
    typ: Typ,
    compressed: boolean,
    image: octetString,
    startup: optional(int),
    addName: boolean,
    failBehaviour: FailBehaviour,
    cpuids: setOf(int),
    memory: int,
    blocks,
    bridges,
    argv,
    numcpus: optional(explicit(3, int)),
    linuxBoot: optional(explicit(4, utf8))
  }),
  (c) => ({
    typ: c.typ,
    compressed: c.compressed,
    image: c.image,
    failBehaviour: c.failBehaviour,
    startup: c.startup,
    addName: c.addName,
    cpuids: intSet(c.cpuids),
    memory: c.memory,
    blockDevices: c.blocks ?? [],
    bridges: c.bridges ?? [],
    argv: c.argv,
    numcpus: c.numcpus ?? 1,
    linuxBootPartition: c.linuxBoot
  }),
  (u) => ({
    typ: u.typ,
    compressed: u.compressed,
    image: u.image,
    startup: u.startup,
    addName: u.addName,
    failBehaviour: u.failBehaviour,
    cpuids: intSet(u.cpuids),
    memory: u.memory,
    blocks: emptyAsAbsent(u.blockDevices),
    bridges: emptyAsAbsent(u.bridges),
    argv: u.argv,
    numcpus: u.numcpus, // always written
    linuxBoot: u.linuxBootPartition
  })
)

/** Args ::= SEQUENCE { fail-behaviour, startup OPTIONAL, add-name, cpuids SET OF INTEGER, memory,
 *    blocks [0], bridges [1], argv [2], numcpus [3] OPTIONAL, linux-boot [4] OPTIONAL } */
export const Args: Codec<UnikernelArguments> = map(
  sequence({
    failBehaviour: FailBehaviour,
    startup: optional(int),
    addName: boolean,
    cpuids: setOf(int),
    memory: int,
    blocks,
    bridges,
    argv,
    numcpus: optional(explicit(3, int)),
    linuxBoot: optional(explicit(4, utf8))
  }),
  (a) => ({
    failBehaviour: a.failBehaviour,
    startup: a.startup,
    addName: a.addName,
    cpuids: intSet(a.cpuids),
    memory: a.memory,
    blockDevices: a.blocks ?? [],
    bridges: a.bridges ?? [],
    argv: a.argv,
    numcpus: a.numcpus ?? 1,
    linuxBootPartition: a.linuxBoot
  }),
  (a) => ({
    failBehaviour: a.failBehaviour,
    startup: a.startup,
    addName: a.addName,
    cpuids: intSet(a.cpuids),
    memory: a.memory,
    blocks: emptyAsAbsent(a.blockDevices),
    bridges: emptyAsAbsent(a.bridges),
    argv: a.argv,
    numcpus: a.numcpus,
    linuxBoot: a.linuxBootPartition
  })
)

/** ArgsV1 ::= SEQUENCE { fail-behaviour, startup OPTIONAL, add-name, cpuid INTEGER, memory,
 *    blocks [0], bridges [1], argv [2] }   -- decode only */
export const ArgsV1: Codec<UnikernelArguments> = readOnly(
  "ArgsV1",
  sequence({
    failBehaviour: FailBehaviour,
    startup: optional(int),
    addName: boolean,
    cpuid: int,
    memory: int,
    blocks,
    bridges,
    argv
  }),
  (a) => ({
    failBehaviour: a.failBehaviour,
    startup: a.startup,
    addName: a.addName,
    cpuids: [a.cpuid],
    memory: a.memory,
    blockDevices: a.blocks ?? [],
    bridges: a.bridges ?? [],
    argv: a.argv,
    numcpus: 1,
    linuxBootPartition: null
  })
)

/** ArgsV0 ::= SEQUENCE { fail-behaviour, cpuid INTEGER, memory, blocks [0], bridges [1], argv [2] }
 *    -- decode only; startup none, add-name true */
export const ArgsV0: Codec<UnikernelArguments> = readOnly(
  "ArgsV0",
  sequence({
    failBehaviour: FailBehaviour,
    cpuid: int,
    memory: int,
    blocks,
    bridges,
    argv
  }),
  (a) => ({
    failBehaviour: a.failBehaviour,
    startup: null,
    addName: true,
    cpuids: [a.cpuid],
    memory: a.memory,
    blockDevices: a.blocks ?? [],
    bridges: a.bridges ?? [],
    argv: a.argv,
    numcpus: 1,
    linuxBootPartition: null
  })
)

/** ConfigV4 ::= SEQUENCE { typ, compressed, image, startup OPTIONAL, add-name, fail-behaviour,
 *    cpuid INTEGER, memory, blocks [0], bridges [1], argv [2] }   -- decode only */
export const ConfigV4: Codec<UnikernelConfig> = readOnly(
  "ConfigV4",
  sequence({
    typ: Typ,
    compressed: boolean,
    image: octetString,
    startup: optional(int),
    addName: boolean,
    failBehaviour: FailBehaviour,
    cpuid: int,
    memory: int,
    blocks,
    bridges,
    argv
  }),
  (c) => ({
    typ: c.typ,
    compressed: c.compressed,
    image: c.image,
    failBehaviour: c.failBehaviour,
    startup: c.startup,
    addName: c.addName,
    cpuids: [c.cpuid],
    memory: c.memory,
    blockDevices: c.blocks ?? [],
    bridges: c.bridges ?? [],
    argv: c.argv,
    numcpus: 1,
    linuxBootPartition: null
  })
)

/** The fields common to ConfigV3, V2 and V1 (they differ only in blocks and bridges). */
const oldConfig = <B, N>(
  what: string,
  blocksCodec: Codec<B>,
  bridgesCodec: Codec<N>,
  toBlocks: (b: B) => UnikernelConfig["blockDevices"],
  toBridges: (n: N) => UnikernelConfig["bridges"]
): Codec<UnikernelConfig> =>
  readOnly(
    what,
    sequence({
      typ: Typ,
      compressed: boolean,
      image: octetString,
      failBehaviour: FailBehaviour,
      cpuid: int,
      memory: int,
      blocks: optional(explicit(0, blocksCodec)),
      bridges: optional(explicit(1, bridgesCodec)),
      argv
    }),
    (c) => ({
      typ: c.typ,
      compressed: c.compressed,
      image: c.image,
      failBehaviour: c.failBehaviour,
      startup: null,
      addName: true,
      cpuids: [c.cpuid],
      memory: c.memory,
      blockDevices: c.blocks === null ? [] : toBlocks(c.blocks),
      bridges: c.bridges === null ? [] : toBridges(c.bridges),
      argv: c.argv,
      numcpus: 1,
      linuxBootPartition: null
    })
  )

const identity = <A>(a: A): A => a
const namedBlocks = (names: ReadonlyArray<string>): UnikernelConfig["blockDevices"] =>
  names.map((name) => ({ name, device: null, sectorSize: null }))

/** ConfigV3 ::= SEQUENCE { typ, compressed, image, fail-behaviour, cpuid INTEGER, memory,
 *    blocks [0] SET OF BlockSpec OPTIONAL, bridges [1] SET OF NetSpec OPTIONAL, argv [2] OPTIONAL } */
export const ConfigV3: Codec<UnikernelConfig> = oldConfig("ConfigV3", setOf(BlockSpec), setOf(NetSpec), identity, identity)

/** ConfigV2 ::= like ConfigV3 but blocks [0] SET OF UTF8String,
 *    bridges [1] SEQUENCE OF SEQUENCE { netif UTF8String, bridge UTF8String OPTIONAL } */
export const ConfigV2: Codec<UnikernelConfig> = oldConfig(
  "ConfigV2",
  setOf(utf8),
  sequenceOf(sequence({ netif: utf8, bridge: optional(utf8) })),
  namedBlocks,
  (nets) => nets.map((n) => ({ netif: n.netif, bridge: n.bridge, mac: null }))
)

/** ConfigV1 ::= like ConfigV3 but blocks [0] SET OF UTF8String, bridges [1] SET OF UTF8String */
export const ConfigV1: Codec<UnikernelConfig> = oldConfig(
  "ConfigV1",
  setOf(utf8),
  setOf(utf8),
  namedBlocks,
  (nets) => nets.map((netif) => ({ netif, bridge: null, mac: null }))
)

/** The image of ConfigV0 ::= CHOICE { hvt-amd64 [0] OCTET STRING, hvt-arm64 [1] OCTET STRING,
 *    hvt-amd64-compressed [2] OCTET STRING } */
interface ImageV0T {
  readonly compressed: boolean
  readonly image: Uint8Array
}
const ImageV0: Codec<ImageV0T> = choice<ImageV0T>("ConfigV0.image", [
  alternative("hvt-amd64", map(explicit(0, octetString), (image) => ({ compressed: false, image }), (i) => i.image), () => false),
  alternative("hvt-arm64", map(explicit(1, octetString), (image) => ({ compressed: false, image }), (i) => i.image), () => false),
  alternative(
    "hvt-amd64-compressed",
    map(explicit(2, octetString), (image) => ({ compressed: true, image }), (i) => i.image),
    () => false
  )
])

/** ConfigV0 ::= SEQUENCE { cpu INTEGER, memory INTEGER, block UTF8String OPTIONAL,
 *    nets SEQUENCE OF UTF8String OPTIONAL, image ImageV0, argv SEQUENCE OF UTF8String OPTIONAL }
 *    -- solo5, quit, add-name true */
export const ConfigV0: Codec<UnikernelConfig> = readOnly(
  "ConfigV0",
  sequence({
    cpu: int,
    memory: int,
    block: optional(utf8),
    nets: optional(sequenceOf(utf8)),
    image: ImageV0,
    argv: optional(sequenceOf(utf8))
  }),
  (c) => ({
    typ: "solo5",
    compressed: c.image.compressed,
    image: c.image.image,
    failBehaviour: { _tag: "Quit" },
    startup: null,
    addName: true,
    cpuids: [c.cpu],
    memory: c.memory,
    blockDevices: c.block === null ? [] : [{ name: c.block, device: null, sectorSize: null }],
    bridges: c.nets === null ? [] : c.nets.map((netif) => ({ netif, bridge: null, mac: null })),
    argv: c.argv,
    numcpus: 1,
    linuxBootPartition: null
  })
)
