# Convenience targets; each is a plain go command, so nothing here is required.
.PHONY: dev test ci build lint

dev:
	go run ./cmd/teletraan dev

test:
	go test ./...

ci:
	bash .ci/run

build:
	mkdir -p bin
	go build -o bin/teletraan ./cmd/teletraan

lint:
	go vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
