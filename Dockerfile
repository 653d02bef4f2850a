# syntax=docker/dockerfile:1
# A small static image: the preflight binary, linked statically against musl,
# on distroless/static (CA certificates, /tmp, no shell), running as non-root.
#
#   docker build -t ghcr.io/preflight-dev/preflight:0.1.0 .

FROM rust:1.95-alpine AS build
RUN apk add --no-cache build-base
WORKDIR /src
COPY . .
# The build context has no .git: the release workflow passes the commit.
ARG PREFLIGHT_BUILD_COMMIT=unknown
# musl targets link statically by default; symbols are not needed at run time.
ENV PREFLIGHT_BUILD_COMMIT=$PREFLIGHT_BUILD_COMMIT \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_PROFILE_RELEASE_DEBUG=false
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin preflight \
 && cp target/release/preflight /preflight \
 && /preflight --version

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="preflight" \
      org.opencontainers.image.description="Stops database-migration disasters before and after a deploy." \
      org.opencontainers.image.source="https://github.com/preflight-dev/preflight" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /preflight /usr/local/bin/preflight
USER 65532:65532
EXPOSE 8080 8443
ENTRYPOINT ["/usr/local/bin/preflight"]
CMD ["--help"]
