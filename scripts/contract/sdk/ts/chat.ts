// A whole chat, driven only through a client typed from the OpenAPI document
// (openapi-typescript + openapi-fetch): the same script as ../chat.py. `tsc --noEmit` checks
// every call against the generated types first. Usage: tsx chat.ts BASE_URL
import { crc32, deflateSync } from "node:zlib";
import createClient from "openapi-fetch";
import type { paths } from "./schema";

const base = process.argv[2];
const password = "correct horse battery";

function must<T>(result: { data?: T; error?: unknown; response: Response }, step: string): T {
  if (result.data === undefined) {
    throw new Error(`${step}: ${result.response.status} ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

const anonymous = createClient<paths>({ baseUrl: base });
const suffix = Math.random().toString(16).slice(2, 10);

async function signUp(name: string) {
  const username = `${name}${suffix}`;
  must(
    await anonymous.POST("/api/v1/auth/register", {
      body: { email: `${username}@example.com`, username, password, display_name: name },
    }),
    `register ${name}`,
  );
  const session = must(
    await anonymous.POST("/api/v1/auth/login", { body: { login: username, password } }),
    `log in ${name}`,
  );
  const client = createClient<paths>({
    baseUrl: base,
    headers: { Authorization: `Bearer ${session.tokens.access_token}` },
  });
  return { id: session.user.id, client };
}

const alice = await signUp("alice");
const bob = await signUp("bob");

const group = must(
  await alice.client.POST("/api/v1/conversations", {
    body: { kind: "group", title: "Book club", member_ids: [bob.id] },
  }),
  "create a group",
);
const id = group.id;
const messages = "/api/v1/conversations/{id}/messages" as const;
const send = (client: typeof alice.client, body: paths[typeof messages]["post"]["requestBody"]["content"]["application/json"]) =>
  client.POST(messages, { params: { path: { id } }, body });

const first = must(await send(alice.client, { content: "Hello", client_message_id: "c-1" }), "send");
const retried = must(await send(alice.client, { content: "Hello", client_message_id: "c-1" }), "retry");
check(retried.id === first.id, "a retry returns the original message");

const message = { path: { id, message_id: first.id } };
const edited = must(
  await alice.client.PATCH("/api/v1/conversations/{id}/messages/{message_id}", {
    params: message,
    body: { content: "Hello all" },
  }),
  "edit",
);
check(edited.content === "Hello all", "the edit is stored");
const reacted = await bob.client.PUT(
  "/api/v1/conversations/{id}/messages/{message_id}/reactions/{emoji}",
  { params: { path: { ...message.path, emoji: "👍" } } },
);
check(reacted.response.ok, `react: ${reacted.response.status}`);
const reply = must(await send(bob.client, { content: "Hi!", reply_to: first.id }), "reply");
const thread = must(
  await alice.client.GET("/api/v1/conversations/{id}/messages/{message_id}/thread", {
    params: message,
  }),
  "thread",
);
check(thread.replies.map((r) => r.id).join() === reply.id, "the reply is in the thread");

for (let i = 0; i < 5; i++) must(await send(alice.client, { content: `m${i}` }), "send more");

async function readAll(query: { after_seq?: number }): Promise<number[]> {
  let seqs: number[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = must(
      await bob.client.GET(messages, {
        params: { path: { id }, query: cursor ? { cursor, limit: 3 } : { ...query, limit: 3 } },
      }),
      "history",
    );
    const got = page.messages.map((m) => m.seq);
    seqs = query.after_seq === undefined ? [...got, ...seqs] : [...seqs, ...got];
    if (!page.next_cursor) return seqs;
    cursor = page.next_cursor;
  }
}
const backwards = await readAll({});
const forwards = await readAll({ after_seq: 0 });
check(backwards.join() === forwards.join(), `both ways: ${backwards} / ${forwards}`);

// A small valid PNG of grey pixels.
function png(width = 64, height = 48): Buffer {
  const chunk = (tag: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(tag, "latin1"), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x80)]);
  const rows = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
const form = new FormData();
form.append("file", new Blob([new Uint8Array(png())], { type: "image/png" }), "grey.png");
const upload = must(
  await alice.client.POST("/api/v1/attachments", {
    body: { file: "" },
    bodySerializer: () => form,
  }),
  "upload",
);
must(await send(alice.client, { content: "a picture", attachment_ids: [upload.id] }), "send a file");
const file = { params: { path: { id: upload.id } }, parseAs: "arrayBuffer" as const };
const downloaded = must(await bob.client.GET("/api/v1/attachments/{id}", file), "download");
check(Buffer.from(downloaded).subarray(0, 4).toString("latin1") === "\x89PNG", "the PNG comes back");
const thumbnail = must(await bob.client.GET("/api/v1/attachments/{id}/thumbnail", file), "thumbnail");
check(Buffer.from(thumbnail)[0] === 0xff, "the thumbnail is a JPEG");

const unread = async () =>
  must(await bob.client.GET("/api/v1/conversations", {}), "chat list").conversations.find(
    (c) => c.id === id,
  );
const before = await unread();
check(before !== undefined && before.unread_count > 0, "bob has unread messages");
must(
  await bob.client.POST("/api/v1/conversations/{id}/read", {
    params: { path: { id } },
    body: { seq: before!.last_seq },
  }),
  "mark read",
);
check((await unread())?.unread_count === 0, "all read");

const found = must(
  await bob.client.GET("/api/v1/messages/search", { params: { query: { q: "picture" } } }),
  "search",
);
check(found.results.some((m) => m.content === "a picture"), "search finds the message");
const inbox = must(await bob.client.GET("/api/v1/notifications", {}), "notifications");
console.log(
  `chat driven through the typed client: ${forwards.length} messages, ` +
    `${inbox.notifications.length} notifications for bob`,
);
