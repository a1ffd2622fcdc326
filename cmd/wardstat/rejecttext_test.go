package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wardstat/ingest"
	"wardstat/warehouse"
)

// rejectLines are the command line's reject lines and summaries, in both
// languages, for a reject of every code: what TestRejectLinesKeepTheirWords
// compares (testdata/reject_lines.json).
func rejectLines() map[string]string {
	out := map[string]string{}
	values := map[string]string{"bad_date": "31/02/2024", "bad_channel": "Fax", "closed_without_date": "Đã trả",
		"extra_cells": "11/8", "completed_before_received": "01/02/2024", "withdrawn_before_received": "01/02/2024",
		"due_before_received": "01/02/2024"}
	codes := []string{"missing_code", "missing_received", "bad_channel", "no_ward", "closed_without_date",
		"completed_before_received", "withdrawn_before_received", "due_before_received",
		ingest.FaultUnclosedQuote, ingest.FaultTooLong, ingest.FaultExtraCells, ingest.FaultEncoding, "unknown_code"}
	for _, f := range []string{"received_at", "due_at", "completed_at", "withdrawn_at", "returned_at", "submitted_at", "supplement_requested_at", "supplement_received_at"} {
		codes = append(codes, "bad_date:"+f)
	}
	for _, lang := range []string{"vi", "en"} {
		a := &app{lang: lang}
		for _, code := range codes {
			family := code
			if len(code) > 8 && code[:9] == "bad_date:" {
				family = "bad_date"
			}
			for _, col := range []string{"", "Cột \"A\""} {
				r := warehouse.Reject{Row: 2, Code: code, Column: col, Value: values[family], Reason: "lý do " + code, ReasonEN: "reason " + code}
				if family == "completed_before_received" || family == "withdrawn_before_received" || family == "due_before_received" {
					// The view's English reason, which the line once repeated.
					r.ReasonEN = map[string]string{"completed_before_received": "completed on ", "withdrawn_before_received": "withdrawn on ",
						"due_before_received": "due on "}[family] + r.Value + ", before it was received"
				}
				out[lang+" "+code+" "+col] = rejectText(a, r)
			}
			if family == "bad_date" {
				r := warehouse.Reject{Code: code, Value: "01/03/9999"}
				out[lang+" "+code+" year"] = rejectText(a, r)
			}
			if l, ok := warehouse.RejectLabel(family); ok {
				out[lang+" label "+family] = a.t(l[0], l[1])
			}
		}
	}
	return out
}

// The reject lines kept their words when their texts moved into
// warehouse.RejectRules: every code's line and label, in both languages,
// is byte for byte what it was (testdata/reject_lines.json, written by the
// code before the move).
func TestRejectLinesKeepTheirWords(t *testing.T) {
	got := rejectLines()
	if os.Getenv("WARDSTAT_UPDATE_REJECT_LINES") != "" {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile("testdata/reject_lines.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("testdata/reject_lines.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %q\nwant %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d", len(got), len(want))
	}
}

// A reject's line on the command line says what the view rejects says of
// it (reject_reasons, with the value in it), word for word, for every rule
// in both languages: the two read one text (warehouse.RejectRules).
func TestRejectLinesSayTheViewsReasons(t *testing.T) {
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	values := map[string]string{"bad_channel": "Fax", "closed_without_date": "Đã trả", "extra_cells": "11/8", "no_ward": "HS-1",
		"completed_before_received": "01/02/2024", "withdrawn_before_received": "01/02/2024", "due_before_received": "01/02/2024"}
	for _, r := range warehouse.RejectRules {
		v := values[r.Code]
		if strings.HasPrefix(r.Code, "bad_date:") {
			v = "31/02/2024"
		}
		var vi, en string
		if err := w.DB().QueryRow(`SELECT ws_reject_reason(reason_vi, ?), ws_reject_reason(reason_en, ?) FROM reject_reasons WHERE reason_code = ?`,
			v, v, r.Code).Scan(&vi, &en); err != nil {
			t.Fatalf("%s: %v", r.Code, err)
		}
		for lang, want := range map[string]string{"vi": vi, "en": en} {
			if got := rejectText(&app{lang: lang}, warehouse.Reject{Code: r.Code, Value: v}); got != want {
				t.Errorf("%s %s:\n line %q\n view %q", lang, r.Code, got, want)
			}
		}
	}
}
