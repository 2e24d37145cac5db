# Portunus container image: `docker build -t portunus .`
#
# Build stage: the whole workspace (the SDK's build script reads sdk/openapi.json,
# migrations are embedded into the binary at compile time).
FROM rust:1-bookworm AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb-dev libpq-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p portunus \
    && cp target/release/portunus /usr/local/bin/portunus \
    && strip /usr/local/bin/portunus

# Runtime stage: the binary and the shared libraries it links (libpq, libmariadb,
# OpenSSL), running as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libmariadb3 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/portunus --create-home portunus
COPY --from=builder /usr/local/bin/portunus /usr/local/bin/portunus
USER portunus
WORKDIR /var/lib/portunus
EXPOSE 4444 4445
ENTRYPOINT ["portunus"]
CMD ["serve", "all"]
