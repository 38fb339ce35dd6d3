package temporal

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"

	serverlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts a *slog.Logger to the Temporal server's logger
// interface. It drops records below min before converting tags, because the
// server logs heavily at Info and converting every tag would cost more than
// the filtering saves.
type serverLogger struct {
	logger *slog.Logger
	min    slog.Leveler
}

var (
	_ serverlog.Logger      = (*serverLogger)(nil)
	_ serverlog.WithLogger  = (*serverLogger)(nil)
	_ serverlog.SLogWrapper = (*serverLogger)(nil)
	_ slog.Handler          = (*minLevelHandler)(nil)
)

func newServerLogger(logger *slog.Logger, min slog.Leveler) *serverLogger {
	return &serverLogger{logger: logger, min: min}
}

func (l *serverLogger) enabled(level slog.Level) bool {
	return level >= l.min.Level() && l.logger.Enabled(context.Background(), level)
}

func (l *serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if !l.enabled(level) {
		return
	}
	l.logger.LogAttrs(context.Background(), level, msg, tagsToAttrs(tags)...)
}

func tagsToAttrs(tags []tag.Tag) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	return attrs
}

func (l *serverLogger) Debug(msg string, tags ...tag.Tag) { l.log(slog.LevelDebug, msg, tags) }
func (l *serverLogger) Info(msg string, tags ...tag.Tag)  { l.log(slog.LevelInfo, msg, tags) }
func (l *serverLogger) Warn(msg string, tags ...tag.Tag)  { l.log(slog.LevelWarn, msg, tags) }
func (l *serverLogger) Error(msg string, tags ...tag.Tag) { l.log(slog.LevelError, msg, tags) }

// DPanic only logs: like zap in production mode, a development-time
// assertion must not take down a developer's dev stack.
func (l *serverLogger) DPanic(msg string, tags ...tag.Tag) { l.log(slog.LevelError, msg, tags) }

// Panic logs unconditionally, then panics, because server code relies on it
// not returning.
func (l *serverLogger) Panic(msg string, tags ...tag.Tag) {
	l.logger.LogAttrs(context.Background(), slog.LevelError, msg, tagsToAttrs(tags)...)
	panic(msg)
}

// Fatal logs unconditionally, then exits, because server code relies on it
// not returning (zap's Fatal does the same).
func (l *serverLogger) Fatal(msg string, tags ...tag.Tag) {
	l.logger.LogAttrs(context.Background(), slog.LevelError, msg, tagsToAttrs(tags)...)
	os.Exit(1)
}

// With keeps the server's per-component tags attached to the slog logger
// instead of re-sending them with every record.
func (l *serverLogger) With(tags ...tag.Tag) serverlog.Logger {
	args := make([]any, 0, len(tags))
	for _, a := range tagsToAttrs(tags) {
		args = append(args, a)
	}
	return &serverLogger{logger: l.logger.With(args...), min: l.min}
}

// SLog lets server components that log through slog reach our logger
// directly, still subject to the minimum level.
func (l *serverLogger) SLog() *slog.Logger {
	return slog.New(&minLevelHandler{inner: l.logger.Handler(), min: l.min})
}

// minLevelHandler filters records below min on top of whatever level the
// wrapped handler already enforces.
type minLevelHandler struct {
	inner slog.Handler
	min   slog.Leveler
}

func (h *minLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min.Level() && h.inner.Enabled(ctx, level)
}

func (h *minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

func (h *minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &minLevelHandler{inner: h.inner.WithAttrs(attrs), min: h.min}
}

func (h *minLevelHandler) WithGroup(name string) slog.Handler {
	return &minLevelHandler{inner: h.inner.WithGroup(name), min: h.min}
}

// shutdownQuietLevel is the minimum level for server logs. While the server
// stops, each service logs warnings and errors about the services already
// gone, none of them actionable, so in the default configuration (Warn and
// above) it drops everything from then on; Stop still returns real failures.
// Callers who asked for Info or Debug keep seeing all of it.
type shutdownQuietLevel struct {
	base     slog.Leveler
	stopping atomic.Bool
}

// Level implements slog.Leveler.
func (q *shutdownQuietLevel) Level() slog.Level {
	base := q.base.Level()
	if q.stopping.Load() && base >= slog.LevelWarn {
		return slog.LevelError + 1
	}
	return base
}
