# syntax=docker/dockerfile:1

# ---- build ------------------------------------------------------------------
# The builder's Go matches go.mod's "go" line: an older cached 1.26.x image
# would refuse the module.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src

COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG VERSION=dev
# The module and build caches survive between builds, so a change does not
# recompile SQLite.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X parley/app/version.Version=${VERSION}" -o /out/parley . \
 && mkdir -p /out/data

# ---- runtime ----------------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/parley /parley
COPY --from=build --chown=65532:65532 /out/data /data

ENV PARLEY_LISTEN=:8080 PARLEY_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER 65532:65532

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/parley","healthcheck"]

ENTRYPOINT ["/parley"]
CMD ["serve"]
