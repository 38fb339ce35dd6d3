# One image for the service binary (`teletraan server`, `teletraan worker`, `teletraan migrate`)
# and the host agent (`teletraan-agent`, normally installed on the hosts themselves).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/teletraan ./cmd/teletraan && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/teletraan-agent ./cmd/teletraan-agent

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/teletraan /out/teletraan-agent /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/teletraan"]
