# One image for the service binary: `teletraan server`, `teletraan worker`, `teletraan migrate`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/teletraan ./cmd/teletraan

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/teletraan /usr/local/bin/teletraan
ENTRYPOINT ["/usr/local/bin/teletraan"]
