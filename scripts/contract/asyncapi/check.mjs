// The AsyncAPI document, held to the server: it must parse without a diagnostic under
// @asyncapi/parser, and a real session must send and take only frames it describes (checked
// with ajv, undeclared fields refused), and every message it declares must be seen.
// Usage: node check.mjs BASE_URL
import { Parser } from "@asyncapi/parser";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import WebSocket from "ws";

const base = process.argv[2];
const api = `${base}/api/v1`;
const DEADLINE_MS = 30_000;

const text = await (await fetch(`${base}/api-docs/asyncapi.json`)).text();
const { document, diagnostics } = await new Parser().parse(text);
for (const d of diagnostics) console.log(`${["error", "warning", "info", "hint"][d.severity]}: ${d.code} ${d.message} at ${d.path.join("/")}`);
if (!document || diagnostics.some((d) => d.severity <= 1)) {
  throw new Error("the AsyncAPI document has errors or warnings");
}
const doc = JSON.parse(text);
const declared = Object.keys(doc.components.messages);
console.log(`AsyncAPI ${document.version()}: ${document.operations().length} operations, ${declared.length} messages`);

// Every object schema closed, so that an undocumented field fails.
function closed(schema) {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== "object") return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "properties" ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, closed(s)])) : closed(v)]));
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
for (const format of ["int32", "int64", "uint32", "uint64"]) ajv.addFormat(format, true);
ajv.addSchema({ $id: "doc", components: { schemas: closed(doc.components.schemas) } });
const validators = Object.fromEntries(
  declared.map((name) => {
    const payload = JSON.parse(JSON.stringify(closed(doc.components.messages[name].payload)).replaceAll('"#/components/', '"doc#/components/'));
    return [name, ajv.compile(payload)];
  }),
);
// The check itself can fail: a field the document does not declare is refused.
const stray = { type: "read", data: { conversation_id: crypto.randomUUID(), user_id: crypto.randomUUID(), seq: 1, stray: true } };
if (validators["event.read"](stray)) throw new Error("an undeclared field passed the check");
const seen = new Set();
function conform(name, frame) {
  const validate = validators[name];
  if (!validate) throw new Error(`undocumented frame ${name}: ${JSON.stringify(frame)}`);
  if (!validate(frame)) throw new Error(`${name} does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(frame)}`);
  seen.add(name);
}

async function rest(token, method, path, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${api}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(data)}`);
  return data;
}
const suffix = Math.random().toString(16).slice(2, 10);
async function signUp(name) {
  const username = `${name}${suffix}`;
  const password = "correct horse battery";
  await rest(null, "POST", "/auth/register", { email: `${username}@example.com`, username, password, display_name: name });
  const session = await rest(null, "POST", "/auth/login", { login: username, password });
  return { id: session.user.id, token: session.tokens.access_token };
}

// A socket whose every frame is checked; `ack` and `error` are matched to commands by `ref`.
class Client {
  constructor(name, user, headers) {
    this.name = name;
    this.user = user;
    this.frames = [];
    this.pending = new Map();
    this.nextRef = 1;
    this.socket = new WebSocket(`${base.replace(/^http/, "ws")}/api/v1/ws`, { headers });
    this.socket.on("message", (data, binary) => {
      if (binary) throw new Error(`${name}: a binary frame`);
      const frame = JSON.parse(data.toString());
      if (frame.type === "ack") conform(`ack.${this.pending.get(frame.ref)}`, frame);
      else if (frame.type === "error") conform("error", frame);
      else conform(frame.type === "ready" ? "ready" : `event.${frame.type}`, frame);
      this.frames.push(frame);
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", resolve);
      this.socket.once("error", reject);
    });
  }
  send(command, { valid = true } = {}) {
    const frame = { ref: this.nextRef++, ...command };
    if (valid) conform(`command.${command.type}`, frame);
    this.pending.set(frame.ref, command.type);
    this.socket.send(JSON.stringify(frame));
    return frame.ref;
  }
  async wait(what, predicate) {
    const until = Date.now() + DEADLINE_MS;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (Date.now() > until) throw new Error(`${this.name} waited in vain for ${what}; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  answer(ref) {
    return this.wait(`the answer to ref ${ref}`, (f) => (f.type === "ack" || f.type === "error") && f.ref === ref);
  }
  event(type, predicate = () => true) {
    return this.wait(type, (f) => f.type === type && predicate(f.data));
  }
  async command(command) {
    const answer = await this.answer(this.send(command));
    if (answer.type !== "ack") throw new Error(`${command.type}: ${JSON.stringify(answer)}`);
    return answer.data;
  }
}

const alice = await signUp("alice");
const bob = await signUp("bob");
const carol = await signUp("carol");
// Alice signs in on the upgrade, Bob with an `auth` frame as browsers do.
const a = new Client("alice", alice, { authorization: `Bearer ${alice.token}` });
await a.opened;
await a.event("ready");
const group = await rest(alice.token, "POST", "/conversations", { kind: "group", title: "Book club", member_ids: [bob.id] });
const id = group.id;
const b = new Client("bob", bob, {});
await b.opened;
await b.command({ type: "auth", token: bob.token });
await b.event("ready");
await a.event("presence", (d) => d.user_id === bob.id);

await a.command({ type: "ping" });
const sent = await a.command({ type: "message.send", conversation_id: id, content: "Hello @bob", client_message_id: "c-1", mentions: [bob.id] });
await b.event("message.created", (d) => d.id === sent.message.id);
// Bob's socket took it: Alice hears it was delivered.
await a.event("delivered", (d) => d.user_id === bob.id);
await b.event("notification.created");
const retried = await a.command({ type: "message.send", conversation_id: id, content: "Hello @bob", client_message_id: "c-1" });
if (retried.created || retried.message.id !== sent.message.id) throw new Error("a retry answers the first message");
await a.command({ type: "typing.start", conversation_id: id });
await b.event("typing", (d) => d.typing);
await a.command({ type: "typing.stop", conversation_id: id });
await b.command({ type: "read", conversation_id: id, seq: sent.message.seq });
await a.event("read", (d) => d.user_id === bob.id);
await b.command({ type: "presence.set", status: "away" });
await a.event("presence", (d) => d.user_id === bob.id && d.status === "away");
await a.command({ type: "presence.query", user_ids: [bob.id] });

const message = `/conversations/${id}/messages/${sent.message.id}`;
await rest(alice.token, "PATCH", message, { content: "Hello all" });
await b.event("message.updated", (d) => d.content === "Hello all");
await rest(bob.token, "PUT", `${message}/reactions/${encodeURIComponent("👍")}`);
await a.event("reaction.added");
await rest(bob.token, "DELETE", `${message}/reactions/${encodeURIComponent("👍")}`);
await a.event("reaction.removed");

const synced = await b.command({ type: "sync", conversations: [{ conversation_id: id, after_seq: 0 }] });
if (synced.conversations[0].last_seq !== sent.message.seq) throw new Error(`sync: ${JSON.stringify(synced)}`);
await b.command({ type: "sync", conversations: [{ conversation_id: id, after_seq: 99 }] });
await b.event("resync_required", (d) => d.reason === "unknown_seq");

await rest(alice.token, "PATCH", `/conversations/${id}`, { title: "Books" });
await b.event("conversation.updated");
await rest(alice.token, "POST", `/conversations/${id}/participants`, { user_ids: [carol.id] });
await b.event("participant.added", (d) => d.user_id === carol.id);
await rest(alice.token, "DELETE", `/conversations/${id}/participants/${carol.id}`);
await b.event("participant.removed", (d) => d.user_id === carol.id);
await rest(alice.token, "DELETE", message);
await b.event("message.deleted");
const direct = await rest(carol.token, "POST", "/conversations", { kind: "group", title: "Later", member_ids: [bob.id] });
await b.event("conversation.created", (d) => d.conversation_id === direct.id);
await rest(alice.token, "DELETE", `/conversations/${id}`);
await b.event("conversation.deleted", (d) => d.conversation_id === id);

// Business chat: Alice owns a business, Bob answers for it, Carol writes to it.
const shop = await rest(alice.token, "POST", "/businesses", { handle: `shop${suffix}`, name: "Shop" });
await rest(alice.token, "PUT", `/businesses/${shop.id}/members/${bob.id}`, { role: "agent" });
const [team] = (await rest(alice.token, "GET", `/businesses/${shop.id}/teams`)).teams;
await rest(alice.token, "PUT", `/businesses/${shop.id}/teams/${team.id}`, { name: team.name, agent_ids: [bob.id] });
const opened = await rest(carol.token, "POST", `/businesses/${shop.id}/cases`, {});
await a.event("case.updated", (d) => d.conversation_id === opened.conversation_id && d.state === "queued");
await rest(bob.token, "PUT", `/businesses/${shop.id}/agents/me`, { status: "available" });
await a.event("agent.updated", (d) => d.user_id === bob.id && d.status === "available");
await b.event("case.updated", (d) => d.conversation_id === opened.conversation_id && d.state === "assigned");

// Refusals: each an `error` frame the document describes.
const refusals = [
  [() => a.socket.send("{not json"), "invalid_json"],
  [() => a.send({ type: "launch" }, { valid: false }), "unknown_type"],
  [() => a.send({ type: "read", conversation_id: id }, { valid: false }), "invalid_command"],
  [() => a.socket.send(Buffer.from([1, 2, 3])), "unsupported_frame"],
  [() => a.send({ type: "message.send", conversation_id: id, content: "x" }), "conversation_not_found"],
];
for (const [act, code] of refusals) {
  const before = a.frames.length;
  act();
  await a.wait(`error ${code}`, (f) => a.frames.indexOf(f) >= before && f.type === "error" && f.code === code);
}

a.socket.close();
b.socket.close();
const missing = declared.filter((name) => !seen.has(name));
if (missing.length > 0) throw new Error(`declared but never seen: ${missing.join(", ")}`);
console.log(`every one of the ${declared.length} messages the document declares was seen and matched it`);
