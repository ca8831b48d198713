// Builds a conversation over the REST API, as fast as a few parallel senders allow: for tests
// and measurements that need long histories.

/** @param {string} base @param {string} name */
export async function register(base, name) {
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'correct horse battery', display_name: name[0].toUpperCase() + name.slice(1) }),
  });
  if (!response.ok) throw new Error(`register ${name}: ${response.status} ${await response.text()}`);
  const body = await response.json();
  return { id: body.user.id, token: body.tokens.access_token };
}

/**
 * A direct chat from `a` to `b` holding `count` messages from `a`, numbered from 1.
 * @param {string} base @param {{ id: string, token: string }} a @param {{ id: string }} b @param {number} count
 */
export async function directChatWith(base, a, b, count) {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${a.token}` };
  const created = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers, body: JSON.stringify({ kind: 'direct', user_id: b.id }) });
  const conversation = await created.json();
  let next = 1;
  const sender = async () => {
    while (next <= count) {
      const n = next++;
      const r = await fetch(`${base}/api/v1/conversations/${conversation.id}/messages`, {
        method: 'POST', headers, body: JSON.stringify({ content: `Message number ${n}`, client_message_id: `seed-${n}` }),
      });
      if (!r.ok) throw new Error(`send ${n}: ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  return conversation.id;
}

/** Moves `user`'s read marker. @param {string} base @param {{ token: string }} user @param {string} conversation @param {number} seq */
export async function readUpTo(base, user, conversation, seq) {
  const r = await fetch(`${base}/api/v1/conversations/${conversation}/read`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` }, body: JSON.stringify({ seq }),
  });
  if (!r.ok) throw new Error(`read: ${r.status} ${await r.text()}`);
}
