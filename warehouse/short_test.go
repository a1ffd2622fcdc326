package warehouse_test

import "testing"

// skipIfShort skips a slow scenario (a kill, a daemon night, memory
// measured over a large input, a stress run, benchmark-sized inputs) under
// -short: `make test-short` is the quick tier, `make test` runs everything.
func skipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow: " + why)
	}
}
