// Drives an authgate server with Better-Auth's official client (`createAuthClient` from
// "better-auth/client"), through a fetch that keeps cookies as a browser would and sends the
// page's Origin. Every step's result is asserted; the last line is {"ok":true,...}.
//   AUTHGATE_URL=http://127.0.0.1:3000 ORIGIN=http://localhost:3000 node client.mjs
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";

const baseURL = process.env.AUTHGATE_URL || "http://127.0.0.1:3000";
const origin = process.env.ORIGIN || "http://localhost:3000";

// A browser for one site: a cookie jar (Set-Cookie in, Cookie out; Max-Age=0 deletes) and the
// page's Origin on every request.
function browser() {
  const jar = new Map();
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
  return createAuthClient({ baseURL, fetchOptions: { customFetchImpl } });
}

// The user's laptop, and their phone.
const client = browser();
const phone = browser();
const email = `client-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
const password = "client-password-1";
const newPassword = "client-password-2";
const steps = [];

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
  assert.match(data.token, /^[A-Za-z0-9]{32}$/);
});
await step("signIn.email", async () => {
  // A second device signs in: a second session.
  const { data, error } = await phone.signIn.email({ email, password });
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.equal(data.redirect, false);
});
await step("getSession", async () => {
  const { data, error } = await client.getSession();
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.equal(data.session.userId, data.user.id);
});
await step("listSessions", async () => {
  const { data, error } = await client.listSessions();
  assert.equal(error, null);
  assert.equal(data.length, 2);
});
await step("revokeOtherSessions", async () => {
  const { data, error } = await client.revokeOtherSessions();
  assert.equal(error, null);
  assert.equal(data.status, true);
  const listed = await client.listSessions();
  assert.equal(listed.data.length, 1);
  assert.equal((await phone.getSession()).data, null, "the phone is signed out");
});
await step("changePassword", async () => {
  const before = (await client.getSession()).data.session.token;
  const { data, error } = await client.changePassword({ currentPassword: password, newPassword, revokeOtherSessions: true });
  assert.equal(error, null);
  assert.match(data.token, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(data.token, before);
  assert.equal((await client.getSession()).data.session.token, data.token);
  const old = await phone.signIn.email({ email, password });
  assert.equal(old.error.status, 401);
  assert.equal(old.error.code, "INVALID_EMAIL_OR_PASSWORD");
  const fresh = await phone.signIn.email({ email, password: newPassword });
  assert.equal(fresh.error, null);
});
await step("updateUser", async () => {
  const { data, error } = await client.updateUser({ name: "Renamed Client" });
  assert.equal(error, null);
  assert.equal(data.status, true);
  assert.equal((await client.getSession()).data.user.name, "Renamed Client");
});
await step("signOut", async () => {
  const { data, error } = await client.signOut();
  assert.equal(error, null);
  assert.equal(data.success, true);
  const after = await client.getSession();
  assert.equal(after.data, null);
});

console.log(JSON.stringify({ ok: true, steps }));
