package registry

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Parsing is nearly all of Load's work, and most Loads read files that an
// earlier Load already parsed: the bot reloads the catalogue whenever the
// environment repository's tree changes, which every merged request does,
// while the module files themselves rarely change. So parsed files are kept,
// keyed by path and content, and reused when both match byte for byte. A
// parsed file is never modified (decoding and evaluation only read it), so
// catalogues can share it. Only files that parsed without any diagnostic are
// kept. The cache holds at most maxCachedSource bytes of source; when a file
// would not fit it starts over.

// maxCachedSource bounds the cache: room for the source of about a hundred
// modules (a real one is 7-15 KB of HCL). The parsed form takes about twenty
// times as much memory as the source, so the cache stays near 20 MB at most.
const maxCachedSource = 1 << 20

type parseKey struct {
	path string
	sum  uint64
}

type parsedFile struct {
	src  []byte
	file *hcl.File
}

var parses = struct {
	sync.Mutex
	seed  maphash.Seed
	m     map[parseKey]parsedFile
	bytes int
}{seed: maphash.MakeSeed(), m: map[parseKey]parsedFile{}}

// parseFile is hclsyntax.ParseConfig(src, path, hcl.InitialPos), from the
// cache when the same path with the same content parsed cleanly before; a
// file too complex to parse safely (tooComplex) is an error, not parsed.
// src must not be modified afterwards.
func parseFile(src []byte, path string) (*hcl.File, hcl.Diagnostics) {
	key := parseKey{path: path, sum: maphash.Bytes(parses.seed, src)}
	parses.Lock()
	p, ok := parses.m[key]
	parses.Unlock()
	if ok && bytes.Equal(p.src, src) {
		return p.file, nil
	}
	if why, at := tooComplex(src, path); why != "" {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "File too deeply nested",
			Detail: "It " + why + ", which TfPilot does not read; simplify it.", Subject: &at}}
	}
	f, ds := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if len(ds) > 0 || f == nil || len(src) > maxCachedSource {
		return f, ds
	}
	parses.Lock()
	defer parses.Unlock()
	if old, ok := parses.m[key]; ok {
		parses.bytes -= len(old.src)
	}
	if parses.bytes+len(src) > maxCachedSource {
		clear(parses.m)
		parses.bytes = 0
	}
	parses.m[key] = parsedFile{src: src, file: f}
	parses.bytes += len(src)
	return f, ds
}
