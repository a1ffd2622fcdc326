package ingest

import "testing"

// Every name Formats lists is one --format takes, and the texts built from
// it are the ones help and errors have always shown.
func TestFormatsAreWhatDetectTakes(t *testing.T) {
	for _, f := range Formats {
		got, err := Detect("unused", string(f))
		if err != nil || got != f {
			t.Errorf("Detect(%q) = %q, %v", f, got, err)
		}
	}
	if got, want := FormatList(), "csv, xlsx, xls, json, html"; got != want {
		t.Errorf("FormatList() = %q, want %q", got, want)
	}
	if got, want := FormatChoices("or"), "auto, csv, xlsx, xls, json or html"; got != want {
		t.Errorf("FormatChoices(or) = %q, want %q", got, want)
	}
	if got, want := FormatChoices("hoặc"), "auto, csv, xlsx, xls, json hoặc html"; got != want {
		t.Errorf("FormatChoices(hoặc) = %q, want %q", got, want)
	}
}
