//go:build race

package main

// raceBuild: the test binary runs under the race detector, so the bot
// binary the end-to-end test starts is built with it too.
const raceBuild = true
