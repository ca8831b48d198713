// GraphiQL against this server's /graphql. Sign in with the `login` mutation, then put the
// access token in the Headers tab: {"Authorization": "Bearer …"}.
/* global React, ReactDOM, GraphiQL */
(function () {
  const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  const example = [
    "# Sign in, then copy tokens.accessToken into the Headers tab below.",
    "mutation SignIn {",
    '  login(input: {login: "alice", password: "correct horse battery"}) {',
    "    tokens { accessToken }",
    "  }",
    "}",
    "",
    "query ChatList {",
    "  chats(first: 20) {",
    "    edges { node { id title unreadCount lastMessage { content sender { displayName } } } }",
    "  }",
    "}",
    "",
  ].join("\n");
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: example,
      defaultHeaders: '{"Authorization": "Bearer "}',
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
    }),
  );
})();
