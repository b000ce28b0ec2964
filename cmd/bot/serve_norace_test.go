//go:build !race

package main

// raceBuild: the test binary runs without the race detector.
const raceBuild = false
