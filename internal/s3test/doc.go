// Package s3test starts a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw, pinned in the Makefile) with its posix
// backend on 127.0.0.1, in a temporary directory, stopped when the test
// ends. Tests of S3 adapters run against it instead of an in-memory fake, so
// conditional writes, ETags and error codes are the server's own.
//
// The binary comes from PATH or the repository's .bin/ (`make tools`). When
// it is missing, tests skip with a message saying so, except under CI=true,
// where they fail. This package is for tests only.
package s3test
