package main

import (
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// newSlog returns a slog.Logger writing to log through zap's own slog
// handler, so packages that log with the standard library's slog (flow, the
// console) end up in the same structured log as everything else, under the
// same logger name. Groups become nested objects.
func newSlog(log *zap.Logger) *slog.Logger {
	return slog.New(zapslog.NewHandler(log.Core(), zapslog.WithName(log.Name()), zapslog.WithCaller(true)))
}

// newFileLogger returns a JSON zap logger appending to path, for processes
// (local mode) whose terminal belongs to the user.
func newFileLogger(path string) (*zap.Logger, error) {
	cfg := zap.NewProductionConfig()
	cfg.OutputPaths = []string{path}
	cfg.ErrorOutputPaths = []string{path}
	cfg.Sampling = nil
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}
