package telemetry

import (
	"context"
	"log/slog"
)

// logAttrsKey keys the log fields a context carries (request id, deploy id, ...).
type logAttrsKey struct{}

// WithLogAttrs returns ctx carrying attrs in addition to those it already carries; every
// record logged with the returned context through a ContextHandler gets them. It lets a
// handler name the deploy once and have every later line of the request say which.
func WithLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(logAttrsKey{}).([]slog.Attr)
	merged := make([]slog.Attr, 0, len(prev)+len(attrs))
	merged = append(append(merged, prev...), attrs...)
	return context.WithValue(ctx, logAttrsKey{}, merged)
}

// ContextHandler wraps a slog.Handler and adds to each record the fields of its context:
// trace_id and span_id of the current span, and those put there by WithLogAttrs. Only the
// Context variants of the logger (InfoContext, LogAttrs) reach them.
type ContextHandler struct {
	inner slog.Handler
}

// NewContextHandler wraps inner, unless it is a ContextHandler already: wrapping twice
// would write every context field twice.
func NewContextHandler(inner slog.Handler) *ContextHandler {
	if h, ok := inner.(*ContextHandler); ok {
		return h
	}
	return &ContextHandler{inner: inner}
}

// Enabled defers to the wrapped handler.
func (h *ContextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle adds the context's fields and passes the record on.
func (h *ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if attrs, ok := ctx.Value(logAttrsKey{}).([]slog.Attr); ok {
			r = r.Clone()
			r.AddAttrs(attrs...)
		}
		if traceID, spanID := TraceIDs(ctx); traceID != "" {
			r.AddAttrs(slog.String("trace_id", traceID), slog.String("span_id", spanID))
		}
	}
	return h.inner.Handle(ctx, r)
}

// WithAttrs wraps the wrapped handler's WithAttrs.
func (h *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ContextHandler{inner: h.inner.WithAttrs(attrs)}
}

// WithGroup wraps the wrapped handler's WithGroup.
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	return &ContextHandler{inner: h.inner.WithGroup(name)}
}
