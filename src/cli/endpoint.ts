/**
 * Which daemon socket a command goes to and how its replies are read (spec §6.7).
 * Kept next to the client until the shared domain module exists.
 */
import type { Command } from "../domain/command.js"
import type { Service } from "./destination.js"

export type ReplyMode = "single" | "read" | "dump"

export const endpointOf = (command: Command): { readonly service: Service; readonly mode: ReplyMode } => {
  switch (command._tag) {
    case "StatsSubscribe":
      return { service: "stats", mode: "read" }
    case "StatsAdd":
    case "StatsRemove":
    case "StatsInitial":
      return { service: "stats", mode: "single" }
    case "ConsoleListInactive":
      return { service: "console", mode: "single" }
    case "ConsoleAdd":
    case "ConsoleSubscribe":
      return { service: "console", mode: "read" }
    case "BlockDump":
      return { service: "vmmd", mode: "dump" }
    default:
      return { service: "vmmd", mode: "single" }
  }
}
