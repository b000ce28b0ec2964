# syntax=docker/dockerfile:1

# Build a static binary: no cgo, no build paths or symbol tables in it.
# The toolchain go.mod names.
FROM golang:1.27.3 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/bot ./cmd/bot

# Run it on distroless: CA certificates and time zones, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /bot
USER nonroot:nonroot
# /healthz, /readyz and /metrics.
ENV TFPILOT_LISTEN=:8080
EXPOSE 8080
ENTRYPOINT ["/bot"]
CMD ["serve"]
