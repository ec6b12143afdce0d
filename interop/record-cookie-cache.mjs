// Records Better-Auth 1.7.25's cookie cache (`session_data`, compact strategy) for authgate's
// vectors (tests/fixtures/better-auth-cookie-cache.json): a real server in process, on an
// in-memory SQLite database, signing up users whose names exercise JSON escaping, additional
// fields of every type, and a name long enough to be chunked. Run: node interop/record-cookie-cache.mjs
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";

const secret = "cookie-cache-vector-secret-0123456789abcdef0123";
const auth = betterAuth({
  database: new Database(":memory:"),
  secret,
  baseURL: "http://localhost:3000",
  emailAndPassword: { enabled: true, autoSignIn: true },
  user: {
    additionalFields: {
      role: { type: "string", defaultValue: "user", input: false },
      age: { type: "number", required: false },
      newsletter: { type: "boolean", defaultValue: false },
      birthday: { type: "date", required: false },
    },
  },
  session: {
    cookieCache: { enabled: true, maxAge: 300 },
    additionalFields: { device: { type: "string", required: false } },
  },
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

async function signUp(body) {
  const response = await auth.handler(
    new Request("http://localhost:3000/api/auth/sign-up/email", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:3000", "user-agent": "vector/1.0" },
      body: JSON.stringify(body),
    }),
  );
  if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
  const cookies = response.headers.getSetCookie().map((c) => {
    const [pair] = c.split(";");
    const at = pair.indexOf("=");
    return { name: pair.slice(0, at), value: pair.slice(at + 1), header: c };
  });
  return cookies.filter((c) => c.name.startsWith("better-auth.session_data"));
}

const vectors = [];
for (const [what, body] of [
  ["plain", { name: "Ada", email: "ada@example.com", password: "password123" }],
  [
    "escapes and numbers",
    {
      name: 'Zoë "Q" \\ </script> \u2028 \u0007 😀',
      email: "zoe@example.com",
      password: "password123",
      age: 41.5,
      newsletter: true,
      birthday: "1990-05-17T00:00:00.000Z",
    },
  ],
  ["integral number", { name: "Int", email: "int@example.com", password: "password123", age: 30 }],
  ["chunked", { name: "L".repeat(5000), email: "long@example.com", password: "password123" }],
]) {
  const cookies = await signUp(body);
  vectors.push({ what, cookies: cookies.map(({ name, value, header }) => ({ name, value, header })) });
}
console.log(JSON.stringify({ betterAuth: "1.7.25", secret, maxAge: 300, vectors }, null, 2));
