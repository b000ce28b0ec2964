package flow

import "context"

// ScanClosed runs one scan for pull requests closed outside TfPilot now
// (tests only).
func (e *Engine) ScanClosed(ctx context.Context) error { return e.scanClosed(ctx) }
