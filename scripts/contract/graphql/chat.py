"""A whole chat through the GraphQL API, with an outside client (gql): Alice and Bob sign up
over REST, then everything else goes through GraphQL. Bob hears Alice by subscription.
Usage: chat.py BASE_URL"""

import asyncio
import json
import sys
import urllib.request
import uuid

from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

BASE = sys.argv[1]
WAIT = 15


def register(name):
    unique = f"{name}{uuid.uuid4().hex[:8]}"
    body = json.dumps({"username": unique, "email": f"{unique}@example.com",
                       "display_name": name, "password": "correct horse battery"}).encode()
    request = urllib.request.Request(f"{BASE}/api/v1/auth/register", data=body,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    return answer["user"]["id"], answer["tokens"]["access_token"], unique


def http_client(token):
    transport = AIOHTTPTransport(url=f"{BASE}/graphql",
                                 headers={"authorization": f"Bearer {token}"})
    return Client(transport=transport, fetch_schema_from_transport=True)


def ws_client(token):
    transport = WebsocketsTransport(
        url=BASE.replace("http", "ws", 1) + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"token": token})
    return Client(transport=transport)


CREATE = gql("""mutation($input: CreateConversationInput!) {
  createConversation(input: $input) { created conversation { id kind } } }""")
SEND = gql("""mutation($c: UUID!, $input: SendMessageInput!) {
  sendMessage(conversationId: $c, input: $input) { created message { id seq content } } }""")
EDIT = gql("""mutation($c: UUID!, $m: UUID!, $content: String!) {
  editMessage(conversationId: $c, messageId: $m, content: $content) { content editedAt } }""")
REACT = gql("""mutation($c: UUID!, $m: UUID!) {
  addReaction(conversationId: $c, messageId: $m, emoji: "🎉") }""")
READ = gql("""mutation($c: UUID!, $seq: Int!) { markRead(conversationId: $c, seq: $seq) }""")
PAGE = gql("""query($c: UUID!, $last: Int, $before: String) { conversation(id: $c) {
  messages(last: $last, before: $before) {
    edges { cursor node { seq content sender { username } reactions { emoji count me } } }
    pageInfo { hasPreviousPage startCursor } } } }""")
CHATS = gql("""{ chats { edges { node { id unreadCount lastMessage { content } } } } }""")
SEARCH = gql("""query($q: String!) { searchMessages(query: $q) { seq content } }""")
EVENTS = gql("""subscription($since: [Since!]) { events(since: $since) {
  __typename
  ... on MessageCreated { message { seq content sender { username } } }
  ... on MessageUpdated { message { seq content reactions { emoji count } } } } }""")


async def next_of(events, typename):
    while True:
        event = (await asyncio.wait_for(events.get(), WAIT))["events"]
        if event["__typename"] == typename:
            return event


async def main():
    alice_id, alice_token, alice_name = register("alice")
    bob_id, bob_token, _ = register("bob")

    async with http_client(alice_token) as alice, http_client(bob_token) as bob_http, \
            ws_client(bob_token) as bob_ws:
        created = await alice.execute(CREATE, variable_values={"input": {
            "kind": "GROUP", "title": "Book club", "memberIds": [bob_id]}})
        chat = created["createConversation"]["conversation"]["id"]

        events = asyncio.Queue()

        async def listen():
            since = {"since": [{"conversationId": chat, "seq": 0}]}
            async for event in bob_ws.subscribe(EVENTS, variable_values=since):
                await events.put(event)

        listener = asyncio.create_task(listen())

        sent = await alice.execute(SEND, variable_values={
            "c": chat, "input": {"content": "Hello Bob", "clientMessageId": "gql-1"}})
        message = sent["sendMessage"]["message"]
        heard = await next_of(events, "MessageCreated")
        assert heard["message"]["content"] == "Hello Bob", heard
        assert heard["message"]["sender"]["username"] == alice_name, heard
        again = await alice.execute(SEND, variable_values={
            "c": chat, "input": {"content": "Hello Bob", "clientMessageId": "gql-1"}})
        assert again["sendMessage"]["created"] is False, again
        assert again["sendMessage"]["message"]["id"] == message["id"], again

        await alice.execute(EDIT, variable_values={
            "c": chat, "m": message["id"], "content": "Hello, Bob"})
        updated = await next_of(events, "MessageUpdated")
        assert updated["message"]["content"] == "Hello, Bob", updated

        await bob_http.execute(REACT, variable_values={"c": chat, "m": message["id"]})
        page = await alice.execute(PAGE, variable_values={"c": chat, "last": 10})
        node = page["conversation"]["messages"]["edges"][0]["node"]
        assert node["reactions"] == [{"emoji": "🎉", "count": 1, "me": False}], node

        for n in range(2, 5):
            await alice.execute(SEND, variable_values={
                "c": chat, "input": {"content": f"message {n}"}})
            heard = await next_of(events, "MessageCreated")
            assert heard["message"]["seq"] == n, heard
        newest = await alice.execute(PAGE, variable_values={"c": chat, "last": 2})
        messages = newest["conversation"]["messages"]
        assert [e["node"]["seq"] for e in messages["edges"]] == [3, 4], messages
        older = await alice.execute(PAGE, variable_values={
            "c": chat, "last": 2, "before": messages["pageInfo"]["startCursor"]})
        assert [e["node"]["seq"] for e in older["conversation"]["messages"]["edges"]] == [1, 2]

        unread = await bob_http.execute(CHATS)
        assert unread["chats"]["edges"][0]["node"]["unreadCount"] == 4, unread
        await bob_http.execute(READ, variable_values={"c": chat, "seq": 4})
        read = await bob_http.execute(CHATS)
        assert read["chats"]["edges"][0]["node"]["unreadCount"] == 0, read

        found = await bob_http.execute(SEARCH, variable_values={"q": "hello"})
        assert [m["seq"] for m in found["searchMessages"]] == [1], found

        try:
            await bob_http.execute(EDIT, variable_values={
                "c": chat, "m": message["id"], "content": "not mine"})
            raise AssertionError("Bob edited Alice's message")
        except TransportQueryError as refused:
            assert refused.errors[0]["extensions"]["code"] == "not_author", refused.errors

        listener.cancel()
    print("GraphQL chat: sign-up, group, send (idempotent), live by subscription, edit, "
          "react, page, read, search, refusal: ok")


asyncio.run(main())
