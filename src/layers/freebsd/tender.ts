/** Tender on FreeBSD: the POSIX tender plus bhyve (bhyveload / grub-bhyve, bhyvectl). */
export { TenderFreeBsdImpl as TenderFreeBsd } from "../linux/tender.js"
