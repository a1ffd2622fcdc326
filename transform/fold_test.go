package transform

import (
	"strings"
	"testing"
)

// Fold is the one Vietnamese folding rule; HeaderKey and labelTokens differ
// from it only in what they keep as a word.
func TestFoldIsTheOneRule(t *testing.T) {
	for in, want := range map[string]string{
		"Ngày Tiếp Nhận":           "ngay tiep nhan",
		"ĐÃ GIẢI QUYẾT (đúng hạn)": "da giai quyet (dung han)",
		"Ngày tiếp nhận":      "ngay tiep nhan", // decomposed input
		"Søknad 2024":              "søknad 2024",    // ø has no mark to drop: kept
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := HeaderKey("Søknad-Đơn vị"); got != "søknaddonvi" {
		t.Errorf("HeaderKey = %q", got)
	}
	if got := strings.Join(labelTokens("Đã xử lý/ø 3"), "|"); got != "da|xu|ly|ø|3" {
		t.Errorf("labelTokens = %q", got)
	}
}
