package bot

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDedupe: a key is new once; it is forgotten after the TTL, or when
// max newer keys have been seen since (through the ring's growth); keys in
// parts hash as their concatenation.
func TestDedupe(t *testing.T) {
	now := time.Unix(1000, 0)
	d := newDedupe(100, time.Minute)
	d.now = func() time.Time { return now }

	got := []bool{d.first("a"), d.first("a"), d.first(""), d.first(""),
		d.firstOf(d.key("act/", "U1", "/", "5.5")), d.first("act/U1/5.5"),
		d.firstOf(d.key("b"), d.key("a")), d.first("b")}
	want := []bool{true, false, true, true, true, false, false, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first (-want +got):\n%s", diff)
	}

	now = now.Add(time.Minute + time.Second)
	if !d.first("a") {
		t.Error(`"a" still remembered after the TTL`)
	}

	// 250 keys through a ring that grows from 64 and stops at 100: the
	// oldest are forgotten, the last 99 are not, and 100 are remembered.
	for i := range 250 {
		d.first("k" + strconv.Itoa(i))
	}
	if n := len(d.seen); n != 100 || d.n != 100 {
		t.Errorf("remembering %d keys (ring %d), want 100", n, d.n)
	}
	if !d.first("k100") {
		t.Error("k100 remembered beyond max")
	}
	for i := 152; i < 250; i++ {
		if d.first("k" + strconv.Itoa(i)) {
			t.Fatalf("k%d forgotten while among the last 100", i)
		}
	}
}
