package schedules

import "wardstat/internal/testkit"

// skipIfShort skips a slow scenario under -short (testkit.SkipIfShort).
var skipIfShort = testkit.SkipIfShort
