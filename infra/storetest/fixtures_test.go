package storetest

import (
	"reflect"
	"testing"
)

// TestFullSetsEveryField: full is the round trip's request "with every
// field set", so a store that drops a field shows it; a field added to
// flow.Request and not to full would go untested.
func TestFullSetsEveryField(t *testing.T) {
	v := reflect.ValueOf(*full(1))
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Tag.Get("json") == "-" {
			continue // not stored: Rev is the store's
		}
		if v.Field(i).IsZero() {
			t.Errorf("full leaves Request.%s unset", f.Name)
		}
	}
}
