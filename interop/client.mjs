// Drives an authgate server with Better-Auth's official client (`createAuthClient` from
// "better-auth/client"), through a fetch that keeps cookies as a browser would and sends the
// page's Origin. Every step's result is asserted; the last line is {"ok":true,...}.
//   AUTHGATE_URL=http://127.0.0.1:3000 ORIGIN=http://localhost:3000 node client.mjs
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";

const baseURL = process.env.AUTHGATE_URL || "http://127.0.0.1:3000";
const origin = process.env.ORIGIN || "http://localhost:3000";

// Each browser's cookie jar, by its client (the client is a Proxy: it takes no properties).
const jars = new Map();
const jarOf = (client) => jars.get(client);

// A browser for one site: a cookie jar (Set-Cookie in, Cookie out; Max-Age=0 deletes) and the
// page's Origin on every request. `cookies` starts it with a copy of another browser's jar.
function browser(cookies = new Map()) {
  const jar = new Map(cookies);
  async function customFetchImpl(input, init = {}) {
    const headers = new Headers(init.headers);
    headers.set("origin", origin);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (attributes.some((a) => a.trim().toLowerCase() === "max-age=0")) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }
  const client = createAuthClient({ baseURL, fetchOptions: { customFetchImpl } });
  jars.set(client, jar);
  return client;
}

// The user's laptop, and their phone.
const client = browser();
const phone = browser();
const email = `client-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
const password = "client-password-1";
const newPassword = "client-password-2";
const steps = [];
// Session tokens as the server reports them.
let laptopToken;
let phoneToken;

async function step(name, run) {
  try {
    await run();
    steps.push(name);
  } catch (error) {
    console.error(`step ${name} failed:`, error);
    process.exit(1);
  }
}

await step("signUp.email", async () => {
  const { data, error } = await client.signUp.email({ name: "Client", email, password });
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.equal(data.user.name, "Client");
  assert.match(data.token, /^[A-Za-z0-9]{32}$/);
  laptopToken = data.token;
  assert.ok(jarOf(client).has("better-auth.session_token"), "the sign-up set the session cookie");
});
await step("signIn.email", async () => {
  // A second device signs in: a second session.
  const { data, error } = await phone.signIn.email({ email, password });
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.equal(data.redirect, false);
  assert.match(data.token, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(data.token, laptopToken, "a second session");
  phoneToken = data.token;
});
await step("getSession", async () => {
  const { data, error } = await client.getSession();
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.equal(data.user.name, "Client");
  assert.equal(data.session.userId, data.user.id);
  assert.equal(data.session.token, laptopToken);
  assert.ok(new Date(data.session.expiresAt) > new Date(), "the session has not expired");
  const onPhone = await phone.getSession();
  assert.equal(onPhone.error, null);
  assert.equal(onPhone.data.session.token, phoneToken);
  assert.equal(onPhone.data.user.id, data.user.id);
});
await step("listSessions", async () => {
  const { data, error } = await client.listSessions();
  assert.equal(error, null);
  assert.equal(data.length, 2);
  assert.deepEqual(data.map((s) => s.token).sort(), [laptopToken, phoneToken].sort());
  const onPhone = await phone.listSessions();
  assert.equal(onPhone.error, null);
  assert.deepEqual(onPhone.data.map((s) => s.token).sort(), [laptopToken, phoneToken].sort());
});
await step("revokeOtherSessions", async () => {
  const { data, error } = await client.revokeOtherSessions();
  assert.equal(error, null);
  assert.equal(data.status, true);
  const listed = await client.listSessions();
  assert.equal(listed.error, null);
  assert.deepEqual(listed.data.map((s) => s.token), [laptopToken], "only this session is left");
  assert.equal((await phone.getSession()).data, null, "the phone is signed out");
  assert.equal((await client.getSession()).data.session.token, laptopToken, "this one is not");
});
await step("changePassword", async () => {
  const before = (await client.getSession()).data.session.token;
  assert.equal(before, laptopToken);
  // The same cookie kept by another tab that does not see the answer's Set-Cookie.
  const staleTab = browser(jarOf(client));
  const wrong = await client.changePassword({ currentPassword: "not-the-password", newPassword });
  assert.equal(wrong.data, null);
  assert.equal(wrong.error.status, 400);
  assert.equal(wrong.error.code, "INVALID_PASSWORD");
  const { data, error } = await client.changePassword({ currentPassword: password, newPassword, revokeOtherSessions: true });
  assert.equal(error, null);
  assert.match(data.token, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(data.token, before);
  assert.equal(data.user.email, email);
  assert.equal((await client.getSession()).data.session.token, data.token);
  laptopToken = data.token;
  // revokeOtherSessions: the session the change was made from is replaced, not kept.
  const listed = await client.listSessions();
  assert.deepEqual(listed.data.map((s) => s.token), [data.token]);
  assert.equal((await staleTab.getSession()).data, null, "the pre-change session is revoked");
  const old = await phone.signIn.email({ email, password });
  assert.equal(old.data, null);
  assert.equal(old.error.status, 401);
  assert.equal(old.error.code, "INVALID_EMAIL_OR_PASSWORD");
  assert.equal((await phone.getSession()).data, null, "a refused sign-in makes no session");
  const fresh = await phone.signIn.email({ email, password: newPassword });
  assert.equal(fresh.error, null);
  assert.equal(fresh.data.user.email, email);
  phoneToken = fresh.data.token;
  assert.equal((await phone.getSession()).data.session.token, phoneToken);
});
await step("updateUser", async () => {
  const { data, error } = await client.updateUser({ name: "Renamed Client" });
  assert.equal(error, null);
  assert.equal(data.status, true);
  assert.equal((await client.getSession()).data.user.name, "Renamed Client");
  assert.equal((await phone.getSession()).data.user.name, "Renamed Client", "on every session");
});
await step("signOut", async () => {
  const signedLaptopCookie = jarOf(client).get("better-auth.session_token");
  const { data, error } = await client.signOut();
  assert.equal(error, null);
  assert.equal(data.success, true);
  assert.ok(!jarOf(client).has("better-auth.session_token"), "the session cookie is cleared");
  const after = await client.getSession();
  assert.equal(after.data, null);
  // Signed out server-side too: the old cookie no longer works.
  const replayed = browser(new Map([["better-auth.session_token", signedLaptopCookie]]));
  assert.equal((await replayed.getSession()).data, null, "the session was deleted");
  // Only this session ended.
  const onPhone = await phone.listSessions();
  assert.equal(onPhone.error, null);
  assert.deepEqual(onPhone.data.map((s) => s.token), [phoneToken]);
});

console.log(JSON.stringify({ ok: true, steps }));
