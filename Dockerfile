# Portunus container image: `docker build -t portunus .` One image holds the server
# (`portunus`) and the example login and consent app (`portunus-login-example`, for
# trying the browser flow in docker-compose.yml; not for production).
#
# Build stage. The toolchain is pinned (the version Portunus is developed with); bump it
# deliberately.
# The image's gcc, make and perl are all the build needs: SQLite, libpq and OpenSSL are
# compiled from source, MySQL is a pure-Rust driver (docs/building.md).
FROM rust:1.95-bookworm AS builder
WORKDIR /src

# 1. Dependencies only. The manifests and the lock file, with empty stand-ins for our own
#    sources: this layer (every third-party crate compiled) is rebuilt only when a
#    Cargo.toml or Cargo.lock changes, not on every edit of our code.
COPY Cargo.toml Cargo.lock ./
COPY server/Cargo.toml server/
COPY sdk/Cargo.toml sdk/
COPY cmd/Cargo.toml cmd/
# (The stand-ins are then forgotten, so cargo rebuilds our crates from the real sources
# below even where their file times are older than these artifacts.)
RUN mkdir -p server/src sdk/src sdk/examples cmd/src cmd/tests/integration \
    && for f in server/build.rs sdk/build.rs cmd/src/main.rs cmd/tests/integration/main.rs \
                sdk/examples/login_consent_app.rs; do echo 'fn main() {}' > "$f"; done \
    && touch server/src/lib.rs sdk/src/lib.rs \
    && cargo build --release --locked -p portunus \
    && cargo build --release --locked -p portunus-sdk --example login_consent_app \
    && rm -rf server sdk cmd target/release/.fingerprint/portunus* \
              target/release/build/portunus* target/release/deps/*portunus* \
              target/release/examples

# 2. Our code (the SDK's build script reads sdk/openapi.json; migrations are
#    embedded into the binary at compile time).
COPY . .
RUN cargo build --release --locked -p portunus \
    && cargo build --release --locked -p portunus-sdk --example login_consent_app \
    && install -s target/release/portunus /usr/local/bin/portunus \
    && install -s target/release/examples/login_consent_app /usr/local/bin/portunus-login-example

# Runtime stage: the binaries (they link only the C library) and the CA certificates the
# outgoing HTTP client needs, running as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/portunus --create-home portunus
COPY --from=builder /usr/local/bin/portunus /usr/local/bin/portunus-login-example /usr/local/bin/
USER portunus
WORKDIR /var/lib/portunus
EXPOSE 4444 4445 3000
ENTRYPOINT ["portunus"]
CMD ["serve", "all"]
