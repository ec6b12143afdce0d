// The authgate demo page: every call goes to the auth router with
// fetch(..., { credentials: "include" }), so the same script works on the auth server's own
// origin and from another one (given CORS with credentials there, and a trusted origin).
"use strict";

const config = JSON.parse(document.getElementById("demo-config").textContent);
const base = config.authBase.replace(/\/$/, "");
const pageUrl = location.origin + location.pathname;
// The signed session token from `set-auth-token`, for calling services with a bearer token.
// Kept in memory only: a reload forgets it (the cookie is what keeps the session).
let bearer = null;
let currentToken = null;

const $ = (id) => document.getElementById(id);

function show(id, text, kind) {
  const out = $(id);
  out.textContent = text;
  out.className = kind || "";
}

// One call to the auth router; throws an Error carrying the server's message and code.
async function call(method, path, body) {
  const init = { method, credentials: "include", headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(base + path, init);
  } catch (err) {
    throw new Error(`could not reach ${base}${path}: ${err.message}`);
  }
  const token = res.headers.get("set-auth-token");
  if (token) bearer = token;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const message = data && data.message ? data.message : res.statusText;
    const code = data && data.code ? ` (${data.code})` : "";
    throw new Error(`${res.status}: ${message}${code}`);
  }
  return data;
}

// Runs `action`, showing its result (or the server's error) in the output `id`.
async function run(id, action) {
  show(id, "…");
  try {
    const message = await action();
    show(id, message || "done", "ok");
  } catch (err) {
    show(id, err.message, "error");
  }
}

async function refresh() {
  const data = await call("GET", "/get-session");
  const info = $("session-info");
  if (!data) {
    currentToken = null;
    $("who").textContent = "Not signed in.";
    info.hidden = true;
    return null;
  }
  currentToken = data.session.token;
  const verified = data.user.emailVerified ? "verified" : "not verified";
  $("who").textContent = `Signed in as ${data.user.name} <${data.user.email}> (${verified})`;
  info.hidden = false;
  info.textContent = JSON.stringify(
    {
      session: data.session.id,
      expiresAt: data.session.expiresAt,
      createdAt: data.session.createdAt,
      ipAddress: data.session.ipAddress,
      userAgent: data.session.userAgent,
    },
    null,
    2,
  );
  if (!$("mail-email").value) $("mail-email").value = data.user.email;
  return data;
}

async function listSessions() {
  const sessions = await call("GET", "/list-sessions");
  const list = $("sessions-list");
  list.replaceChildren();
  for (const s of sessions) {
    const li = document.createElement("li");
    li.dataset.token = s.token;
    const mine = s.token === currentToken;
    li.className = mine ? "current" : "other";
    const label = document.createElement("span");
    const agent = (s.userAgent || "unknown agent").slice(0, 48);
    label.textContent = `${mine ? "this session" : "other session"} · since ${s.createdAt} · ${agent}`;
    li.append(label);
    if (!mine) {
      const revoke = document.createElement("button");
      revoke.className = "secondary revoke";
      revoke.textContent = "Revoke";
      revoke.addEventListener("click", () =>
        run("sessions-out", async () => {
          await call("POST", "/revoke-session", { token: s.token });
          await listSessions();
          return "Revoked that session.";
        }),
      );
      li.append(revoke);
    }
    list.append(li);
  }
  return `${sessions.length} session${sessions.length === 1 ? "" : "s"}.`;
}

// A token pasted from a mail: the whole link or just the token.
function tokenFrom(input) {
  const value = input.trim();
  try {
    const url = new URL(value);
    const query = url.searchParams.get("token");
    if (query) return query;
    const path = url.pathname.match(/\/reset-password\/([^/]+)$/);
    if (path) return decodeURIComponent(path[1]);
  } catch {
    // not a URL: the token itself
  }
  return value;
}

async function callService(name) {
  const url = $(`svc-${name}-url`).value.trim();
  if (!url) throw new Error("enter the service's URL first");
  const init = { credentials: "include", headers: {} };
  if ($("svc-bearer").checked) {
    if (!bearer) throw new Error("no bearer token yet: sign in (the token comes with the answer)");
    init.credentials = "omit";
    init.headers.authorization = `Bearer ${bearer}`;
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new Error(`could not reach ${url}: ${err.message}`);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const message = data && data.message ? data.message : res.statusText;
    throw new Error(`${res.status}: ${message}`);
  }
  return `${res.status}: ${data.service} service sees ${data.user.email}`;
}

function wire() {
  $("auth-base").textContent = base;
  $("page-origin").textContent = location.origin;
  for (const service of config.services || []) {
    const input = $(`svc-${service.name}-url`);
    if (input) input.value = service.url;
  }
  $("mail-where").textContent = config.mail
    ? `Development mail goes ${config.mail}. Paste a mail's link below, or open it.`
    : "Mail goes wherever the server's mailer sends it. Paste a mail's link below, or open it.";

  $("refresh-btn").onclick = () => run("current-out", async () => ((await refresh()) ? "Signed in." : "Not signed in."));
  $("signup-btn").onclick = () =>
    run("signup-out", async () => {
      const body = {
        name: $("signup-name").value,
        email: $("signup-email").value,
        password: $("signup-password").value,
      };
      const data = await call("POST", "/sign-up/email", body);
      await refresh();
      return `Welcome, ${data.user.name}.`;
    });
  $("signin-btn").onclick = () =>
    run("signin-out", async () => {
      const body = {
        email: $("signin-email").value,
        password: $("signin-password").value,
        rememberMe: $("signin-remember").checked,
      };
      const data = await call("POST", "/sign-in/email", body);
      await refresh();
      return `Signed in as ${data.user.email}.`;
    });
  $("signout-btn").onclick = () =>
    run("current-out", async () => {
      await call("POST", "/sign-out", {});
      bearer = null;
      $("sessions-list").replaceChildren();
      await refresh();
      return "Signed out.";
    });
  $("sessions-btn").onclick = () => run("sessions-out", listSessions);
  $("revoke-others-btn").onclick = () =>
    run("sessions-out", async () => {
      await call("POST", "/revoke-other-sessions", {});
      return listSessions();
    });
  $("cp-btn").onclick = () =>
    run("cp-out", async () => {
      await call("POST", "/change-password", {
        currentPassword: $("cp-current").value,
        newPassword: $("cp-new").value,
        revokeOtherSessions: $("cp-revoke").checked,
      });
      await refresh();
      return "Password changed.";
    });
  $("verify-send-btn").onclick = () =>
    run("mail-out", async () => {
      await call("POST", "/send-verification-email", { email: $("mail-email").value, callbackURL: pageUrl });
      return `If the address needs verifying, a mail is on its way${config.mail ? ` (${config.mail})` : ""}.`;
    });
  $("reset-request-btn").onclick = () =>
    run("mail-out", async () => {
      const data = await call("POST", "/request-password-reset", { email: $("mail-email").value, redirectTo: pageUrl });
      return `${data.message}${config.mail ? ` (${config.mail})` : ""}.`;
    });
  $("verify-btn").onclick = () =>
    run("mail-out", async () => {
      const token = tokenFrom($("mail-token").value);
      await call("GET", `/verify-email?token=${encodeURIComponent(token)}`);
      await refresh();
      return "E-mail address verified.";
    });
  $("reset-btn").onclick = () =>
    run("mail-out", async () => {
      await call("POST", "/reset-password", { newPassword: $("reset-password").value, token: tokenFrom($("mail-token").value) });
      return "Password reset: sign in with the new one.";
    });
  for (const name of ["rust", "python"]) {
    $(`svc-${name}-btn`).onclick = () => run(`svc-${name}-out`, () => callService(name));
  }

  // Back from a reset link (`?token=`) or a failed link (`?error=`).
  const params = new URLSearchParams(location.search);
  if (params.get("token")) {
    $("mail-token").value = params.get("token");
    show("mail-out", "Reset link opened: choose a new password and press Reset password.", "ok");
  } else if (params.get("error")) {
    show("mail-out", `The link did not work: ${params.get("error")}`, "error");
  }
  run("current-out", async () => ((await refresh()) ? "Signed in." : "Not signed in."));
}

wire();
