package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"wardstat/transform"
)

// TestMaskYear: the year a message says is out of range is never read
// from a masked value: neither from its hash ("‹text 15 #0068ef1b›" said
// "năm 68"), nor from its length (a cell of 1,234 characters).
func TestMaskYear(t *testing.T) {
	h := transform.NewHasher([]byte("k"))
	digits := regexp.MustCompile(`#(\d{4})`)
	found := 0
	for i := 0; i < 100000 && found < 5; i++ {
		m := h.Mask(fmt.Sprintf("Nguyễn Văn %d", i))
		d := digits.FindStringSubmatch(m)
		if d == nil || (d[1] >= "1990" && d[1] <= "2100") {
			continue
		}
		found++
		if y, out := yearOutOfRange(m); out {
			t.Errorf("yearOutOfRange(%q) = %d: a year read from a mask's hash", m, y)
		}
	}
	if found == 0 {
		t.Fatal("no mask with four digits in its hash")
	}
	if m := h.Mask(strings.Repeat("x", 1234)); true {
		if y, out := yearOutOfRange(m); out {
			t.Errorf("yearOutOfRange(%q) = %d: a year read from a mask's length", m, y)
		}
	}
	if y, out := yearOutOfRange("01/03/9999"); !out || y != 9999 {
		t.Errorf("yearOutOfRange(01/03/9999) = %d, %v; want 9999, true", y, out)
	}
}
