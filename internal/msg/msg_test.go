package msg

import (
	"errors"
	"fmt"
	"testing"
)

func TestRenderSaysTheWholeChainInOneLanguage(t *testing.T) {
	sentinel := Errorf("tệp trống", "the file is empty")
	inner := Errorf("trang %q: %w", "sheet %q: %w", "Tháng 3", sentinel)
	err := fmt.Errorf("a.xlsx: %w", inner) // a wrapper that knows no language
	if got, want := Render(err, "vi"), `a.xlsx: trang "Tháng 3": tệp trống`; got != want {
		t.Errorf("vi: %q, want %q", got, want)
	}
	if got, want := Render(err, "en"), `a.xlsx: sheet "Tháng 3": the file is empty`; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	if got := err.Error(); got != `a.xlsx: sheet "Tháng 3": the file is empty` {
		t.Errorf("Error() is not the English: %q", got)
	}
	if !errors.Is(err, sentinel) {
		t.Error("errors.Is does not find the wrapped sentinel")
	}
	if got := Render(errors.New("plain"), "vi"); got != "plain" {
		t.Errorf("a plain error: %q", got)
	}
}
