# Developer shortcuts; CI runs .ci/run.
.PHONY: run test test-postgres docs docs-check lint

run:
	go run ./cmd/rapport

test:
	go test ./...

test-postgres:
	RAPPORT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable go test ./...

# Regenerate the OpenAPI documents in docs/ from the swag annotations.
docs:
	./scripts/gen-docs.sh docs

# Fail when docs/ is not what the annotations generate.
docs-check:
	./scripts/gen-docs.sh check

lint:
	go vet ./... && test -z "$$(gofmt -l $$(git ls-files '*.go'))"
