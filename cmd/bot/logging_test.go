package main

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestSlogToZap(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	log := newSlog(zap.New(core).Named("flow")).With("component", "flow").WithGroup("req")
	log.Debug("dropped below info")
	log.Info("stepped", "id", "r1", "attempt", 2, slog.Group("run", "ok", true))
	log.Error("failed", "err", errors.New("boom"))

	type entry struct {
		Level  zapcore.Level
		Logger string
		Msg    string
		Fields map[string]any
	}
	var got []entry
	for _, e := range logs.All() {
		got = append(got, entry{e.Level, e.LoggerName, e.Message, e.ContextMap()})
	}
	want := []entry{
		{zapcore.InfoLevel, "flow", "stepped", map[string]any{"component": "flow", "req": map[string]any{"id": "r1", "attempt": int64(2), "run": map[string]any{"ok": true}}}},
		{zapcore.ErrorLevel, "flow", "failed", map[string]any{"component": "flow", "req": map[string]any{"err": "boom"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zap entries (-want +got):\n%s", diff)
	}
}
