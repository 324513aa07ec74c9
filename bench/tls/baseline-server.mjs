// The floor for bench/tls: a bare node:tls server with the endpoint's TLS settings (TLS 1.3,
// client certificate requested and verified by OpenSSL) that answers every session with one
// fixed frame and closes, without looking at the certificate. Usage: node baseline-server.mjs CA CERT KEY PORT
// Knobs: NO_TICKET=1 (SSL_OP_NO_TICKET), CIPHERSUITES=... (TLS 1.3 suites), PEER_CERT=none.
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as tls from "node:tls"

const [ca, cert, key, port] = process.argv.slice(2)
const reply = Buffer.from("0000000f300d3008020105040800000000000000000c013aa1020500".slice(0, 8 + 30), "hex")
const server = tls.createServer({
  ca: [fs.readFileSync(ca)], cert: fs.readFileSync(cert), key: fs.readFileSync(key),
  minVersion: "TLSv1.3", requestCert: true, rejectUnauthorized: false,
  ...(process.env.NO_TICKET === "1" ? { secureOptions: crypto.constants.SSL_OP_NO_TICKET } : {}),
  ...(process.env.CIPHERSUITES ? { ciphers: process.env.CIPHERSUITES } : {})
})
server.on("secureConnection", (socket) => {
  // PEER_CERT=none: not even Node's object of the peer chain (a detailed one copies every certificate)
  if (process.env.PEER_CERT !== "none") socket.getPeerCertificate(true)
  socket.end(reply)
})
server.on("tlsClientError", (_e, s) => s.destroy())
server.listen(Number(port), "127.0.0.1")
