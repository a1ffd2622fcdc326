//go:build !linux

package flight

import "os"

// peakRSSMB: not measured beyond Linux.
func peakRSSMB(*os.ProcessState) int64 { return -1 }

// selfPeakRSSMB: not measured beyond Linux.
func selfPeakRSSMB() int64 { return -1 }
