package main

import "wardstat/internal/testkit"

// lockedBuffer is the log sink flight_test.go names (moved to testkit by
// s10-tests; the Flight tests merged after still name it here).
type lockedBuffer = testkit.LockedBuffer
