// Verifies a Gatehouse token as a Node relying party would: jose's
// createRemoteJWKSet fetches the JWKS by URL and picks the key by `kid`.
// Environment: JWKS_URL, TOKEN, AUDIENCE, ISSUER. Prints the subject.
// Run with `node --input-type=module` from the folder that holds jose.
import { createRemoteJWKSet, jwtVerify } from "jose";

const { JWKS_URL, TOKEN, AUDIENCE, ISSUER } = process.env;
try {
  const keys = createRemoteJWKSet(new URL(JWKS_URL));
  const { payload } = await jwtVerify(TOKEN, keys, {
    audience: AUDIENCE,
    issuer: ISSUER,
    algorithms: ["EdDSA"],
  });
  console.log(payload.sub);
} catch (error) {
  console.error(`refused: ${error.code ?? error.name}: ${error.message}`);
  process.exit(1);
}
