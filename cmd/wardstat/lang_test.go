package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/spf13/cobra"
)

// englishWords are common English words that are not Vietnamese words
// written without their marks ("an", "in", "to", "no" are).
var englishWords = map[string]bool{
	"the": true, "is": true, "are": true, "not": true, "file": true, "files": true, "use": true,
	"with": true, "rows": true, "row": true, "of": true, "and": true, "for": true, "this": true,
	"that": true, "from": true, "by": true, "was": true, "were": true, "be": true, "it": true,
	"its": true, "which": true, "when": true, "has": true, "have": true, "into": true, "each": true,
	"every": true, "only": true, "than": true, "their": true, "write": true, "give": true,
	"must": true, "can": true, "cannot": true, "will": true, "one": true, "all": true, "or": true,
	"if": true, "about": true, "more": true, "help": true, "load": true, "loaded": true,
	"show": true, "list": true, "what": true, "flags": true, "command": true, "available": true,
	"usage": true, "default": true, "there": true, "as": true, "at": true, "on": true,
}

// commandNames are wardstat's commands: a line "wardstat ingest …" is an
// example command line.
var commandNames = func() map[string]bool {
	names := map[string]bool{"help": true, "completion": true}
	for _, c := range newRootCommand(&strings.Builder{}, &strings.Builder{}).Commands() {
		names[c.Name()] = true
	}
	return names
}()

// quotedText is what a line quotes: a file's cells, SQL, commands.
var quotedText = regexp.MustCompile("\"[^\"]*\"|`[^`]*`|'[^']*'|“[^”]*”")

// englishSentence says whether a line reads as English: two or more
// different common English words, not counting quoted text, identifiers (with _ . -
// or digits), upper-case words (SQL keywords, placeholders) and words of
// a command line (after "wardstat ").
func englishSentence(line string) bool {
	line = quotedText.ReplaceAllString(line, " ")
	if i := strings.Index(line, "wardstat "); i >= 0 && strings.TrimSpace(line[:i]) == "" {
		next, _, _ := strings.Cut(strings.TrimSpace(line[i+len("wardstat "):]), " ")
		if strings.HasPrefix(next, "-") || commandNames[next] || next == "[lệnh]" || next == "[command]" {
			return false // an example command line
		}
	}
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(line, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:()[]{}!?<>/=…·|", r)
	}) {
		w = strings.Trim(w, ".")
		if w == "" || strings.ContainsAny(w, "_.-0123456789*%$#@") || w == strings.ToUpper(w) {
			continue
		}
		if englishWords[strings.ToLower(w)] {
			seen[strings.ToLower(w)] = true
		}
	}
	return len(seen) >= 2
}

func TestEnglishSentenceHeuristic(t *testing.T) {
	for line, want := range map[string]bool{
		"wardstat: --month \"2026-13\": write the month as YYYY-MM":                                    true,
		"Use \"wardstat [command] --help\" for more information about a command.":                      true,
		"KHÔNG NẠP: the file is empty":                                                                 true,
		"dòng 2: không có mã hồ sơ (cột \"Mã hồ sơ\")":                                                 false,
		"  wardstat sql \"SELECT * FROM rejects WHERE load_id = 3\"":                                   false,
		"SELECT reason_code, count(*) FROM rejects GROUP BY 1":                                         false,
		"Tình hình giải quyết hồ sơ TTHC từ 01/03/2024 đến 31/03/2024":                                 false,
		"  --db string   tệp kho dữ liệu (biến môi trường WARDSTAT_DB) (mặc định \"wardstat.duckdb\")": false,
	} {
		if got := englishSentence(line); got != want {
			t.Errorf("englishSentence(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestDefaultLanguageIsVietnamese runs the main commands with the default
// language on a small warehouse (good and bad files, a report, SQL, the
// status, describe, the registry, the calendar, ward reports, every
// command's help and a few mistakes) and fails on any line that reads as
// an English sentence. With --lang en the same commands speak English.
func TestDefaultLanguageIsVietnamese(t *testing.T) {
	t.Setenv("WARDSTAT_PII_KEY", "lang")
	t.Setenv("WARDSTAT_LANG", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	fx := "../../testdata/report/handcount/"
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "Mã hồ sơ,Hình thức nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày có kết quả,Ngày trả kết quả,Ngày rút,Trạng thái\n"
	bad := write("bad.csv", header+
		"H01.01-240301-0101,Trực tiếp,01/03/2024 09:00,05/03/2024,04/03/2024,,,Đã trả kết quả\n"+
		",Trực tiếp,01/03/2024 09:00,05/03/2024,,,,Đang xử lý\n"+
		"H01.01-240301-0102,Fax,01/03/2024 09:00,05/03/2024,,,,Đang xử lý\n"+
		"H01.01-240301-0103,Trực tiếp,31/02/2024,05/03/2024,,,,Đang xử lý\n"+
		"H01.01-240301-0104,Trực tiếp,01/03/2024 09:00,05/03/2024,28/02/2024,,,Đã trả kết quả\n"+
		"H01.01-240301-0105,Trực tiếp,01/03/2024 09:00,05/03/2024,,,,Đã trả kết quả\n"+
		"H01.01-240301-0106,Trực tiếp,01/03/2024 09:00,05/03/2024,,,,Đang xử lý,x,y,z\n"+
		"H01.01-240301-0107,Trực tiếp,01/03/2024 09:00,01/02/2024,,,,Đang xử lý\n")
	noWard := write("noward.csv", header+"240301-0001,Trực tiếp,01/03/2024 09:00,05/03/2024,,,,Đang xử lý\n")
	empty := write("empty.csv", "")
	junk := write("junk.csv", "\x00\x01\x02binary\x00\xff\xfe")
	noHeader := write("noheader.csv", "a,b,c\n1,2,3\n")
	noCode := write("nocode.json", `{"data": {"items": [{"a": 1}]}}`)
	xls := write("damaged.xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk")
	forms := write("forms.csv", "ward_code,period_start,period_end,received_total,carried_over,new_online,new_direct,new_postal,resolved_total,resolved_early,resolved_on_time,resolved_late,withdrawn,pending_total,pending_in_time,pending_overdue\n"+
		"H01.01,2024-03-01,2024-03-31,9,1,3,5,0,5,1,3,1,0,4,3,1\n")
	days := write("days.csv", "day,working,note\n2024-03-09,1,Làm bù\n")
	if err := os.MkdirAll(filepath.Join(dir, "drop"), 0o755); err != nil {
		t.Fatal(err)
	}
	dropped := write(filepath.Join("drop", "noheader.csv"), "a,b,c\n1,2,3\n")
	if err := os.Chtimes(dropped, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	config := write("wardstat.yml", "warehouse: w.duckdb\nsources:\n  - name: drop\n    ward: H01.01\n    path: drop/\n    settle: 1s\n    schedule: \"*/10 * * * *\"\n")

	type step struct {
		args    []string
		failing bool // the command must fail (exit non-zero)
		either  bool // failing or not (another item decides)
		code    int  // the exit code a failing command must have (0: not checked)
	}
	steps := []step{
		{args: []string{"units", "import", fx + "units.csv"}},
		{args: []string{"ingest", fx + "ward-export.csv", fx + "api-export.json"}},
		{args: []string{"ingest", fx + "ward-export.csv"}},
		{args: []string{"ingest", bad}},
		{args: []string{"ingest", noWard}, either: true},
		{args: []string{"ingest", empty, junk, noHeader, noCode, xls, filepath.Join(dir, "missing.csv")}, failing: true},
		{args: []string{"ingest"}, failing: true},
		{args: []string{"ingest", "--map", "nothing", bad}, failing: true},
		{args: []string{"ingest", "--nosuch", bad}, failing: true, code: 2},
		{args: []string{"report", "--month", "2024-03"}},
		{args: []string{"report", "--from", "2024-03-01", "--to", "2024-03-31", "--by", "district"}},
		{args: []string{"report", "--month", "2024-13"}, failing: true, code: 2},
		{args: []string{"report", "--from", "2024-03-01"}, failing: true},
		{args: []string{"report", "--month", "2024-03", "--format", "pdf"}, failing: true},
		{args: []string{"sql", "SELECT source_row, reason_code, reason FROM rejects ORDER BY source_row"}},
		{args: []string{"sql", "COPY dossiers TO 'x.csv'"}, failing: true},
		{args: []string{"sql"}, failing: true},
		{args: []string{"status", "--config", config}},
		{args: []string{"status"}},
		{args: []string{"check", "--config", config}},
		{args: []string{"run", "--config", config, "--source", "drop"}, failing: true},
		{args: []string{"status", "--config", config}},
		{args: []string{"sql", "SELECT job, status, error FROM job_runs"}},
		{args: []string{"check", "--config", "../../testdata/config/bad-values.bad.yml"}, failing: true},
		{args: []string{"check", "--config", "../../testdata/config/no-sources.bad.yml"}, failing: true},
		{args: []string{"describe"}},
		{args: []string{"describe", "rejects"}},
		{args: []string{"describe", "nosuch"}, failing: true, code: 1}, // not a command-line mistake
		{args: []string{"describe", "a", "b"}, failing: true, code: 2},
		{args: []string{"units", "list"}},
		{args: []string{"calendar", "import", days}},
		{args: []string{"ward-reports", "import", forms}},
		{args: []string{"ward-reports", "check"}},
		{args: []string{"nosuch"}, failing: true, code: 2},
		{args: []string{"--lang", "fr", "status"}, failing: true},
	}
	// Every command's help.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "completion" {
			return
		}
		steps = append(steps, step{args: append(strings.Fields(c.CommandPath())[1:], "--help")})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand(&strings.Builder{}, &strings.Builder{}))

	for _, s := range steps {
		args := append([]string{"--db", db}, s.args...)
		out, errOut, err := run(t, args...)
		if (err != nil) != s.failing && !s.either {
			t.Errorf("wardstat %s: error %v, want failing=%v\n%s", strings.Join(s.args, " "), err, s.failing, errOut)
		}
		if s.code != 0 && err != nil && exitCode(err) != s.code {
			t.Errorf("wardstat %s: exit %d, want %d", strings.Join(s.args, " "), exitCode(err), s.code)
		}
		text := out + errOut
		if err != nil {
			text += "wardstat: " + errorLine(err, "vi") + "\n"
		}
		if os.Getenv("LANGDUMP") != "" {
			t.Logf("$ wardstat %s\n%s", strings.Join(s.args, " "), text)
		}
		for _, line := range strings.Split(text, "\n") {
			if englishSentence(line) {
				t.Errorf("wardstat %s: English in the default language:\n  %s", strings.Join(s.args, " "), line)
			}
		}
	}

	// --lang en speaks English.
	out, _, err := run(t, "--db", db, "--lang", "en", "describe", "rejects")
	if err != nil || !strings.Contains(out, "the rows that could not be trusted") {
		t.Errorf("describe in English: %v\n%s", err, out)
	}
	out, _, _ = run(t, "--db", db, "--lang", "en", "ingest", "--help")
	if !strings.Contains(out, "Load ward exports") || !strings.Contains(out, "Flags:") {
		t.Errorf("ingest --help in English:\n%s", out)
	}
	_, _, err = run(t, "--db", db, "--lang", "en", "report", "--month", "2024-13")
	if err == nil || !strings.Contains(errorLine(err, "en"), "write the month as YYYY-MM") {
		t.Errorf("report --month 2024-13 in English: %v", err)
	}
}

// TestLanguageOfAnUnknownCommand: cobra stops at an unknown command before
// it parses --lang; the error is still said in the language asked for.
func TestLanguageOfAnUnknownCommand(t *testing.T) {
	t.Setenv("WARDSTAT_LANG", "")
	for args, want := range map[string]string{
		"--lang en nosuch": `unknown command "nosuch"`,
		"nosuch --lang=en": `unknown command "nosuch"`,
		"nosuch":           `không có lệnh "nosuch"`,
	} {
		root := newRootCommand(&strings.Builder{}, &strings.Builder{})
		root.SetArgs(strings.Fields(args))
		err := root.Execute()
		if got := errorLine(err, langOf(root, strings.Fields(args))); !strings.Contains(got, want) || exitCode(err) != 2 {
			t.Errorf("wardstat %s: %q (exit %d), want %q (exit 2)", args, got, exitCode(err), want)
		}
	}
}
