# Multi-stage build: a full Rust toolchain to compile, a slim Debian to run as a non-root user.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY migrations ./migrations
# A workspace member: the build does not compile it, but Cargo loads every member's manifest.
COPY bench ./bench
COPY config ./config
COPY src ./src
# The web client, embedded in the binary by build.rs.
COPY build.rs ./
COPY web/app ./web/app
RUN cargo build --release --locked --bin chat-server

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home chat
COPY --from=build /src/target/release/chat-server /usr/local/bin/chat-server
USER chat
WORKDIR /data
ENV CHAT__APP__DATA_DIR=/data \
    CHAT__SERVER__HOST=0.0.0.0 \
    PORT=8080
EXPOSE 8080
VOLUME ["/data"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["chat-server"]
CMD ["serve"]
