package schedules

import (
	"os"
	"testing"

	"wardstat/internal/testkit"
)

// TestMain removes, after the tests, the warehouse they copy (whtest).
func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
