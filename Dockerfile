# The service image: `teletraan server`, `teletraan worker`, `teletraan migrate` (and the CLI).
# The host agent has its own, smaller image: Dockerfile.agent.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/teletraan ./cmd/teletraan

# Static binary, no shell, no package manager; runs as the image's non-root user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/teletraan /usr/local/bin/teletraan
USER nonroot:nonroot
EXPOSE 8080 9464
# The server's /healthz on its default --listen; a worker overrides it with its --metrics-listen
# address (see docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/teletraan", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/teletraan"]
