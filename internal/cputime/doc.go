// Package cputime measures the CPU time this process has used, for
// benchmarks that report it beside wall time (b.ReportMetric): on a shared
// machine it is steadier than wall time. It must not be imported outside
// tests.
package cputime
