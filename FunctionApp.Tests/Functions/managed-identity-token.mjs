// Run by ManagedIdentityClientTests: gets a token with @azure/identity's ManagedIdentityCredential
// from the endpoint named by IDENTITY_ENDPOINT / IDENTITY_HEADER (set for this process only) and
// prints, as one JSON line, the token's SHA-256 and expiry, or the error. Usage:
//   node managed-identity-token.mjs <scope> [client-id]
import net from "node:net";
import { createHash } from "node:crypto";

// Before any client code loads: a connection anywhere but loopback (the instance metadata service
// above all) fails loudly instead of leaving the machine.
const loopback = new Set(["127.0.0.1", "localhost", "::1"]);
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === "object" && first !== null ? first : { port: first, host: args[1] };
  if (!options.path && !loopback.has(options.host ?? "localhost")) {
    throw new Error(`refused to connect to ${options.host}: tests stay on loopback`);
  }
  return connect.apply(this, args);
};

const { ManagedIdentityCredential } = await import("@azure/identity");
const [scope, clientId] = process.argv.slice(2);
const credential = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
try {
  const token = await credential.getToken(scope);
  const sha256 = createHash("sha256").update(token.token).digest("hex");
  console.log(JSON.stringify({ ok: true, sha256, expiresOnTimestamp: token.expiresOnTimestamp }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, name: error.name, message: String(error.message).slice(0, 2000) }));
}
