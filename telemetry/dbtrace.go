package telemetry

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// spanKey keys the span BunTracing started in a query's stash.
type spanKey struct{}

// BunTracing is a bun.QueryHook that records each query as a client span. It stands in for
// bun's extra/bunotel, which is not in the module graph. It records the operation and the
// table, never the query text: bun interpolates arguments, and they include token hashes
// and stage secrets.
type BunTracing struct {
	// System is the database product, for db.system.name.
	System string
	// Provider supplies the tracer; nil means the global provider at query time.
	Provider trace.TracerProvider
}

var _ bun.QueryHook = (*BunTracing)(nil)

// BeforeQuery starts the query's span, only inside a trace that is being recorded: the
// ping hub and the pruner query several times a second from no request, and each would
// otherwise be a trace of its own.
func (h *BunTracing) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	provider := h.Provider
	if provider == nil {
		provider = otel.GetTracerProvider()
	}
	op := e.Operation()
	attrs := []attribute.KeyValue{attribute.String("db.system.name", h.System), attribute.String("db.operation.name", op)}
	name := op
	if q, ok := e.IQuery.(interface{ GetTableName() string }); ok {
		if table := q.GetTableName(); table != "" {
			attrs = append(attrs, attribute.String("db.collection.name", table))
			name += " " + table
		}
	}
	ctx, span := provider.Tracer(TracerName).Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if e.Stash == nil {
		e.Stash = map[any]any{}
	}
	e.Stash[spanKey{}] = span
	return ctx
}

// AfterQuery ends the span BeforeQuery started, marking it failed on an error other than
// sql.ErrNoRows: a lookup that finds nothing is an answer, not a failure.
func (h *BunTracing) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	span, ok := e.Stash[spanKey{}].(trace.Span)
	if !ok {
		return
	}
	if e.Err != nil && !errors.Is(e.Err, sql.ErrNoRows) {
		span.RecordError(e.Err)
		span.SetStatus(codes.Error, "query failed")
	}
	span.End()
}
