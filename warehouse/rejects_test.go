package warehouse_test

import (
	"strings"
	"testing"

	"wardstat/ingest"
	"wardstat/warehouse"
)

// TestRejectReasonsSpeakBothLanguages: the reason of every reject code the
// load can write (the check step's rules and the readers' faults) is in the
// one table of reasons in Vietnamese and English, and the view rejects an
// analyst queries says it in Vietnamese (reason) and English (reason_en)
// with the row's value in it; a load stores the code, not English text.
func TestRejectReasonsSpeakBothLanguages(t *testing.T) {
	w := mustOpen(t)
	codes := []string{ingest.FaultUnclosedQuote, ingest.FaultTooLong, ingest.FaultEncoding, ingest.FaultExtraCells}
	for _, r := range warehouse.RejectRules {
		if r.When != "" {
			codes = append(codes, r.Code)
		}
	}
	if len(codes) < 15 {
		t.Fatalf("found only %d codes in warehouse.RejectRules: %v", len(codes), codes)
	}
	db := w.DB()
	for i, code := range codes {
		value := "31/02/2024"
		if code == ingest.FaultExtraCells {
			value = "11/8"
		}
		if _, err := db.Exec(`INSERT INTO reject_rows VALUES (1, ?, ?, 'Cột', ?, NULL)`, i+2, code, value); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.Query(`SELECT reason_code, reason, reason_en FROM rejects ORDER BY source_row`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var code, vi, en string
		if err := rows.Scan(&code, &vi, &en); err != nil {
			t.Fatal(err)
		}
		n++
		switch {
		case vi == code || en == code:
			t.Errorf("%s: no reason in reject_reasons", code)
		case vi == en:
			t.Errorf("%s: the same text in both languages: %s", code, vi)
		case strings.Contains(vi+en, "{"):
			t.Errorf("%s: a placeholder left: %s / %s", code, vi, en)
		}
		if strings.HasPrefix(code, "bad_") && !strings.Contains(vi, "31/02/2024") && code != ingest.FaultEncoding {
			t.Errorf("%s: the value is not in the reason: %s", code, vi)
		}
		if code == ingest.FaultExtraCells && (!strings.Contains(vi, "11 ô") || !strings.Contains(en, "8 columns")) {
			t.Errorf("%s: the counts are not in the reason: %s / %s", code, vi, en)
		}
		for _, english := range []string{" the ", " is ", " not ", " with "} {
			if strings.Contains(vi, english) {
				t.Errorf("%s: English in the Vietnamese reason: %s", code, vi)
			}
		}
	}
	if n != len(codes) {
		t.Errorf("%d rejects read, %d written", n, len(codes))
	}
	// No English text is stored with a reject.
	if cols := queryOne[string](t, db, `SELECT string_agg(column_name, ',' ORDER BY column_index) FROM duckdb_columns() WHERE table_name = 'reject_rows'`); strings.Contains(cols, "reason,") || strings.HasSuffix(cols, "reason") {
		t.Errorf("reject_rows stores a reason text: %s", cols)
	}
}
