// Shapes of the API's JSON, as the client uses them (the OpenAPI document is the full truth).

/**
 * @typedef {{ id: string, username: string, display_name: string, avatar_id?: string | null,
 *   bio?: string, status_text?: string, email?: string }} User
 * @typedef {{ access_token: string, refresh_token: string, expires_at: string,
 *   refresh_expires_at: string, session_id: string }} Tokens
 * @typedef {{ user: User, tokens: Tokens }} SignedIn
 * @typedef {{ emoji: string, count: number, me: boolean }} Reaction
 * @typedef {{ id: string, conversation_id: string, seq: number, sender_id: string,
 *   content: string | null, client_message_id: string | null, reply_to: string | null,
 *   reply_count: number, mentions: string[], attachment_ids: string[], reactions: Reaction[],
 *   created_at: string, edited_at: string | null, deleted: boolean }} Message
 * @typedef {{ id: string, seq: number, sender_id: string, content: string | null,
 *   created_at: string }} LastMessage
 * @typedef {{ id: string, kind: 'direct' | 'group' | 'channel', title: string | null,
 *   avatar_id: string | null, last_seq: number, last_activity_at: string, unread_count: number,
 *   muted: boolean, role: string, read_seq: number, last_message: LastMessage | null,
 *   other_user?: User | null }} ChatListItem
 * @typedef {{ user_id: string, role: string, joined_at: string, read_seq: number,
 *   delivered_seq: number }} Participant
 * @typedef {{ id: string, device_name: string | null, user_agent: string | null,
 *   ip: string | null, created_at: string, last_active_at: string, current: boolean }} Session
 * @typedef {{ contacts: ContactEntry[], incoming: ContactEntry[], outgoing: ContactEntry[] }} Contacts
 * @typedef {{ user: User, status?: string, since?: string }} ContactEntry
 * @typedef {{ type: string, data?: any, ref?: any, code?: string, message?: string }} Frame
 */

export {};
