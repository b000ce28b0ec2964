package main

// serveGCPercent is the garbage collector target (GOGC) `bot serve` runs
// with when the environment does not set GOGC. It is the process's choice,
// so it lives here and not in the chat package. The bot's live heap is small
// (a few MB), and every Socket Mode envelope allocates ~15 KB in slack-go's
// decoder, nearly all of it garbage by the time the envelope is acked. At
// Go's default of 100 the collector then runs every ~200 envelopes in a
// burst: ~11 cycles and ~15% of the CPU for BenchmarkAckUnderLoad's 3,000,
// on two cores shared with everything else. At 400 the heap may grow to
// five times the live heap (tens of MB at most) between collections, and
// acks under load are faster (the benchmark's p99 on Go 1.27.3: 25-48 ms
// against 41-66 ms at 100). Set GOGC (and GOMEMLIMIT, for a container's
// memory limit) to choose otherwise.
//
// bot's BenchmarkAckUnderLoad runs at the same target (its
// benchGCPercent); TestBenchGCPercent keeps the two equal.
const serveGCPercent = 400
