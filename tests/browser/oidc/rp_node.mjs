// A relying party on npm `openid-client` v6, unmodified, as an app would
// run it: GET /login starts the sign-in; GET /callback takes the code,
// then checks userinfo, refresh and revocation and sends the browser to
// logout; GET /signed-out shows what it saw, as JSON.
// Environment: ISSUER, CLIENT_ID, CLIENT_SECRET (empty: public), PORT.
// Run with `node --input-type=module` from the folder that holds openid-client.
import * as client from "openid-client";
import http from "node:http";

const { ISSUER, CLIENT_ID, CLIENT_SECRET, PORT } = process.env;
const base = `http://127.0.0.1:${PORT}`;
// The local stack is http; openid-client's documented switch allows it.
const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET || undefined,
  CLIENT_SECRET ? client.ClientSecretBasic(CLIENT_SECRET) : client.None(),
  { execute: [client.allowInsecureRequests] });
// Checks the ID token's signature against the JWKS too.
client.enableNonRepudiationChecks(config);

const pending = {};
const seen = { steps: [] };

async function callback(req) {
  const tokens = await client.authorizationCodeGrant(config, new URL(req.url, base), {
    pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
  });
  const claims = tokens.claims();
  seen.claims = claims;
  seen.steps.push("token");
  seen.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  seen.steps.push("userinfo");
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  seen.rotated = refreshed.refresh_token !== tokens.refresh_token;
  seen.steps.push("refresh");
  await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: "refresh_token" });
  seen.steps.push("revoke");
  try {
    await client.refreshTokenGrant(config, refreshed.refresh_token);
    seen.afterRevoke = "refreshed";
  } catch (error) {
    seen.afterRevoke = error.error ?? error.code ?? String(error);
  }
  return client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token, post_logout_redirect_uri: `${base}/signed-out`, state: "bye",
  }).href;
}

http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (url.pathname === "/login") {
      pending.verifier = client.randomPKCECodeVerifier();
      pending.state = client.randomState();
      pending.nonce = client.randomNonce();
      const to = client.buildAuthorizationUrl(config, {
        redirect_uri: `${base}/callback`, scope: "openid email offline_access",
        code_challenge: await client.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: "S256",
        state: pending.state, nonce: pending.nonce,
      });
      res.writeHead(302, { Location: to.href }).end();
    } else if (url.pathname === "/callback") {
      res.writeHead(302, { Location: await callback(req) }).end();
    } else if (url.pathname === "/signed-out") {
      seen.logoutState = url.searchParams.get("state");
      res.writeHead(200, { "Content-Type": "text/html" }).end(`<!doctype html><title>Signed out</title><pre id="seen">${JSON.stringify(seen)}</pre>`);
    } else {
      res.writeHead(404).end();
    }
  } catch (error) {
    seen.error = `${error.name}: ${error.code ?? ""} ${error.error ?? ""} ${error.message}`;
    res.writeHead(500, { "Content-Type": "text/html" }).end(`<!doctype html><title>RP error</title><pre id="seen">${JSON.stringify(seen)}</pre>`);
  }
}).listen(Number(PORT), "127.0.0.1", () => console.log("ready"));
