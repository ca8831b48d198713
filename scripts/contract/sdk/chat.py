"""A whole chat, driven only through the Python client generated from the OpenAPI document.
Every step checks what a client relies on; any surprise raises and fails the run.
Usage: python chat.py BASE_URL (with the generated package `chat_api_client` importable)."""

import struct
import sys
import uuid
import zlib

from chat_api_client import AuthenticatedClient, Client
from chat_api_client.api.attachments import download_attachment, get_thumbnail, upload_attachment
from chat_api_client.api.auth import login, register
from chat_api_client.api.conversations import chat_list, create_conversation
from chat_api_client.api.messages import (
    add_reaction,
    edit_message,
    history,
    mark_read,
    search_messages,
    send_message,
    thread,
)
from chat_api_client.api.notifications import list_notifications
from chat_api_client.models import (
    AttachmentResponse,
    AuthResponse,
    ChatListResponse,
    ConversationResponse,
    CreateConversationBody,
    EditMessageBody,
    HistoryResponse,
    InboxResponse,
    KindBody,
    LoginBody,
    MarkerBody,
    MessageResponse,
    Problem,
    RegisterBody,
    SearchResponse,
    SendMessageBody,
    ThreadResponse,
    UploadForm,
)
from chat_api_client.types import File

BASE = sys.argv[1]
PASSWORD = "correct horse battery"


def expect(value, kind, step):
    if not isinstance(value, kind):
        raise SystemExit(f"{step}: expected {kind.__name__}, got {value!r}")
    return value


def png(width=64, height=48):
    """A small valid PNG: grey pixels, no library needed."""

    def chunk(tag, data):
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


anonymous = Client(base_url=BASE)
suffix = uuid.uuid4().hex[:8]
users = {}
for name in ("alice", "bob"):
    body = RegisterBody(
        email=f"{name}{suffix}@example.com",
        username=f"{name}{suffix}",
        password=PASSWORD,
        display_name=name.title(),
    )
    expect(register.sync(client=anonymous, body=body), AuthResponse, f"register {name}")
    signed_in = login.sync(
        client=anonymous, body=LoginBody(login=f"{name}{suffix}", password=PASSWORD)
    )
    signed_in = expect(signed_in, AuthResponse, f"log in {name}")
    users[name] = (
        signed_in.user.id,
        AuthenticatedClient(base_url=BASE, token=signed_in.tokens.access_token),
    )
alice_id, alice = users["alice"]
bob_id, bob = users["bob"]

group = create_conversation.sync(
    client=alice,
    body=CreateConversationBody(kind=KindBody.GROUP, title="Book club", member_ids=[bob_id]),
)
group = expect(group, ConversationResponse, "create a group")
conversation = group.id

first = send_message.sync(
    conversation, client=alice, body=SendMessageBody(content="Hello", client_message_id="c-1")
)
first = expect(first, MessageResponse, "send")
retried = send_message.sync(
    conversation, client=alice, body=SendMessageBody(content="Hello", client_message_id="c-1")
)
retried = expect(retried, MessageResponse, "retry a send")
assert retried.id == first.id, "a retry returns the original message"

edited = edit_message.sync(conversation, first.id, client=alice, body=EditMessageBody(content="Hello all"))
assert expect(edited, MessageResponse, "edit").content == "Hello all"
reacted = add_reaction.sync_detailed(conversation, first.id, "👍", client=bob)
assert reacted.status_code in (200, 201, 204), f"react: {reacted.status_code}"
reply = send_message.sync(
    conversation, client=bob, body=SendMessageBody(content="Hi!", reply_to=first.id)
)
reply = expect(reply, MessageResponse, "reply")
replies = expect(thread.sync(conversation, first.id, client=alice), ThreadResponse, "thread")
assert [r.id for r in replies.replies] == [reply.id], "the reply is in the thread"

for i in range(5):
    expect(
        send_message.sync(conversation, client=alice, body=SendMessageBody(content=f"m{i}")),
        MessageResponse,
        "send more",
    )
# History both ways, by next_cursor, with small pages.
backwards, cursor = [], None
while True:
    page = history.sync(conversation, client=bob, limit=3, cursor=cursor if cursor else None)
    page = expect(page, HistoryResponse, "history back")
    backwards = [m.seq for m in page.messages] + backwards
    cursor = page.next_cursor
    if not cursor:
        break
forwards, cursor = [], None
while True:
    if cursor:
        page = history.sync(conversation, client=bob, limit=3, cursor=cursor)
    else:
        page = history.sync(conversation, client=bob, limit=3, after_seq=0)
    page = expect(page, HistoryResponse, "history forward")
    forwards += [m.seq for m in page.messages]
    cursor = page.next_cursor
    if not cursor:
        break
assert backwards == forwards == sorted(forwards), (backwards, forwards)

upload = upload_attachment.sync(
    client=alice,
    body=UploadForm(file=File(payload=png(), file_name="grey.png", mime_type="image/png")),
)
upload = expect(upload, AttachmentResponse, "upload")
with_file = send_message.sync(
    conversation, client=alice, body=SendMessageBody(content="a picture", attachment_ids=[upload.id])
)
expect(with_file, MessageResponse, "send a file")
downloaded = expect(download_attachment.sync(upload.id, client=bob), File, "download")
assert downloaded.payload.read().startswith(b"\x89PNG"), "the download is the PNG"
thumbnail = expect(get_thumbnail.sync(upload.id, client=bob), File, "thumbnail")
assert thumbnail.payload.read().startswith(b"\xff\xd8"), "the thumbnail is a JPEG"

chats = expect(chat_list.sync(client=bob), ChatListResponse, "chat list")
item = [c for c in chats.conversations if c.id == conversation]
assert item and item[0].unread_count > 0, f"bob has unread messages: {item}"
marked = mark_read.sync(conversation, client=bob, body=MarkerBody(seq=item[0].last_seq))
assert marked is not None and not isinstance(marked, Problem), f"mark read: {marked!r}"
chats = expect(chat_list.sync(client=bob), ChatListResponse, "chat list after reading")
assert [c.unread_count for c in chats.conversations if c.id == conversation] == [0], "all read"

found = expect(search_messages.sync(client=bob, q="picture"), SearchResponse, "search")
assert any(hit.content == "a picture" for hit in found.results), "search finds the message"
inbox = expect(list_notifications.sync(client=bob), InboxResponse, "notifications")
print(
    f"chat driven through the generated client: {len(forwards)} messages, "
    f"{len(inbox.notifications)} notifications for bob"
)
