// A real Better-Auth 1.7.25 server for authgate's cross-implementation tests, configured by
// environment variables:
//   BA_DB=postgres DATABASE_URL=postgres://...   or   BA_DB=sqlite SQLITE_PATH=/path/to/file.db
//   PORT, BETTER_AUTH_SECRET, BASE_URL (e.g. http://localhost:4100), TRUSTED_ORIGINS (a,b)
//   MIGRATE=1: run Better-Auth's own migration, print "migrated" and exit.
//   MIGRATE=check: print what Better-Auth's migration would change, as JSON
//     {"create":[tables],"add":[{"table","fields":[...]}]}, and exit.
//   COOKIE_CACHE=1: Better-Auth's cookie cache on (session.cookieCache, compact strategy,
//     the default 5 minutes).
//   BA_FIELDS=af: the additional fields of authgate's tests (user: role, age, newsletter,
//     birthday; session: device), as its fields-hooks-api research declared them.
//   BA_MAIL_FILE=/path: account mails on (emailVerification.sendOnSignUp, sendVerificationEmail,
//     emailAndPassword.sendResetPassword); each mail is appended to the file as a JSON line
//     {"kind":"verify-email"|"reset-password","to","url","token"}.
//   BA_VERIFICATION_STORAGE=hashed: verification.storeIdentifier "hashed" (reset tokens).
// Otherwise it serves /api/auth on 127.0.0.1:PORT and prints "listening <port>" when ready.
import fs from "node:fs";
import http from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { bearer } from "better-auth/plugins";

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`better-auth-server: ${name} is required`);
    process.exit(2);
  }
  return value;
}

async function database() {
  switch (required("BA_DB")) {
    case "postgres": {
      const { default: pg } = await import("pg");
      return new pg.Pool({ connectionString: required("DATABASE_URL"), max: 5 });
    }
    case "sqlite": {
      const { default: Database } = await import("better-sqlite3");
      return new Database(required("SQLITE_PATH"));
    }
    default:
      console.error("better-auth-server: BA_DB must be postgres or sqlite");
      process.exit(2);
  }
}

// The additional fields authgate's tests declare the same way (tests/interop.rs).
const additionalFields =
  process.env.BA_FIELDS === "af"
    ? {
        user: {
          additionalFields: {
            role: { type: "string", defaultValue: "user", input: false },
            age: { type: "number", required: false },
            newsletter: { type: "boolean", defaultValue: false },
            birthday: { type: "date", required: false },
          },
        },
        session: { additionalFields: { device: { type: "string", required: false } } },
      }
    : {};

// Account mails, recorded for the test to read.
const mailFile = process.env.BA_MAIL_FILE;
function record(kind, user, url, token) {
  fs.appendFileSync(mailFile, JSON.stringify({ kind, to: user.email, url, token }) + "\n");
}
const resetOptions = mailFile
  ? { sendResetPassword: async ({ user, url, token }) => record("reset-password", user, url, token) }
  : {};
const mailOptions = mailFile
  ? {
      emailVerification: {
        sendOnSignUp: true,
        sendVerificationEmail: async ({ user, url, token }) =>
          record("verify-email", user, url, token),
      },
    }
  : {};
const verificationOptions =
  process.env.BA_VERIFICATION_STORAGE === "hashed"
    ? { verification: { storeIdentifier: "hashed" } }
    : {};
// The cookie cache shares the `session` group with the session's additional fields.
const session = {
  ...(additionalFields.session || {}),
  ...(process.env.COOKIE_CACHE === "1" ? { cookieCache: { enabled: true } } : {}),
};

const db = await database();
const auth = betterAuth({
  ...additionalFields,
  session,
  database: db,
  secret: required("BETTER_AUTH_SECRET"),
  baseURL: required("BASE_URL"),
  trustedOrigins: (process.env.TRUSTED_ORIGINS || "").split(",").filter(Boolean),
  emailAndPassword: { enabled: true, autoSignIn: true, ...resetOptions },
  ...mailOptions,
  ...verificationOptions,
  plugins: [bearer()],
});

async function closeDatabase() {
  if (typeof db.end === "function") await db.end();
  if (typeof db.close === "function") db.close();
}

if (process.env.MIGRATE === "check") {
  const { toBeCreated, toBeAdded } = await getMigrations(auth.options);
  console.log(
    JSON.stringify({
      create: toBeCreated.map((t) => t.table),
      add: toBeAdded.map((t) => ({ table: t.table, fields: Object.keys(t.fields) })),
    }),
  );
  await closeDatabase();
  process.exit(0);
}

if (process.env.MIGRATE === "1") {
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  console.log("migrated");
  await closeDatabase();
  process.exit(0);
}

const port = Number(required("PORT"));
const server = http.createServer(toNodeHandler(auth));
server.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
