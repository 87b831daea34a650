# syntax=docker/dockerfile:1
# atlasview in a container: see docs/DEPLOY.md ("Container").
#
#   docker build -t atlasview .
#   docker run -d --name atlasview -p 127.0.0.1:8080:8080 -v atlasview-data:/var/lib/atlasview atlasview

# ---- build ------------------------------------------------------------------
FROM rust:1-bookworm AS build
# The same folder as in the runtime stage: the binary serves /static from the
# `static/` folder of the tree it was built in (a path compiled into it).
WORKDIR /opt/atlasview
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY templates templates
COPY static static
COPY catalog catalog
COPY migrations migrations
# The registry and target folders are build caches (BuildKit), so a rebuild
# after a source change recompiles only atlasview; the binary is copied out
# of the cached target folder in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/opt/atlasview/target \
    cargo build --release --locked \
    && install -m 0755 target/release/atlasview /usr/local/bin/atlasview

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim
# CA certificates for `atlas sync` (HTTPS to GitHub), SMTP over TLS and
# webhooks. No curl: the health check is `atlasview healthcheck`, which uses
# the HTTP client the binary already has (reqwest, for `atlas sync`).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 atlasview \
    && useradd --system --uid 10001 --gid atlasview --home-dir /var/lib/atlasview \
       --no-create-home --shell /usr/sbin/nologin atlasview \
    && install -d -o atlasview -g atlasview -m 0750 /var/lib/atlasview
COPY --from=build /usr/local/bin/atlasview /usr/local/bin/atlasview
COPY --from=build /opt/atlasview/static /opt/atlasview/static

ENV DATABASE_URL=/var/lib/atlasview/atlasview.db \
    ATLASVIEW_ADDR=0.0.0.0:8080 \
    ATLASVIEW_LOG_FORMAT=json
USER atlasview:atlasview
WORKDIR /var/lib/atlasview
VOLUME ["/var/lib/atlasview"]
EXPOSE 8080
# GET /readyz (the database answers, every migration is applied, a release is
# active) on the port of ATLASVIEW_ADDR; exit 0 only on a 2xx.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["atlasview", "healthcheck"]
# SIGTERM (docker stop) shuts the server down gracefully.
STOPSIGNAL SIGTERM
ENTRYPOINT ["atlasview"]
CMD ["serve"]
