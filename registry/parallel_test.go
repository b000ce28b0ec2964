package registry

import "testing"

func TestParallelRunsEveryCallAndRaisesPanicsInTheCaller(t *testing.T) {
	got := make([]int, 50)
	parallel(len(got), func(i int) { got[i] = i + 1 })
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("call %d did not run", i)
		}
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want the call's panic", p)
		}
	}()
	parallel(10, func(i int) {
		if i == 3 {
			panic("boom")
		}
	})
	t.Error("parallel returned after a call panicked")
}
