package main

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"wardstat/internal/msg"
)

// errorLine is an error as the command line says it, in lang: the
// packages' localisable errors (msg.Error, ingest.Message, the sandbox's
// refusals) in that language, and cobra's and the file system's own
// messages translated.
func errorLine(err error, lang string) string {
	if err == nil {
		return ""
	}
	if lang != "en" {
		lang = "vi"
	}
	if vi, en, ok := cobraMessage(err.Error()); ok {
		if lang == "en" {
			return en
		}
		return vi
	}
	s := msg.Render(err, lang)
	if lang == "vi" {
		s = osMessages(err, s)
	}
	return s
}

// langOf is the language the command line asked for: the parsed --lang,
// or, when cobra stopped before parsing flags (an unknown command), the
// --lang written in args, else the default.
func langOf(root *cobra.Command, args []string) string {
	f := root.Flag("lang")
	if f.Changed {
		return f.Value.String()
	}
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--lang="); ok {
			return v
		}
		if a == "--lang" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return f.Value.String()
}

// osMessages says the file system's common errors in Vietnamese: the
// operating system's own text ends the line in English otherwise.
func osMessages(err error, s string) string {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return s
	}
	var vi string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		vi = "không có tệp hoặc thư mục này"
	case errors.Is(err, fs.ErrPermission):
		vi = "không có quyền đọc"
	default:
		return s
	}
	return strings.Replace(s, pe.Error(), pe.Path+": "+vi, 1)
}

// cobra's and pflag's own messages, with their Vietnamese (cobra v1.10,
// pflag v1.0): a command-line mistake each.
var cobraMessages = []struct {
	re *regexp.Regexp
	vi string
}{
	{regexp.MustCompile(`^unknown command ("[^"]*") for ("[^"]*")`), "không có lệnh %s trong %s; xem wardstat --help"},
	{regexp.MustCompile(`^unknown flag: (--\S+)`), "không có tuỳ chọn %s; xem --help của lệnh"},
	{regexp.MustCompile(`^unknown shorthand flag: ('.') in (-\S+)`), "không có tuỳ chọn viết tắt %s (trong %s); xem --help của lệnh"},
	{regexp.MustCompile(`^flag needs an argument: ('.') in (-\S+)`), "tuỳ chọn %s (trong %s) cần một giá trị"},
	{regexp.MustCompile(`^flag needs an argument: (--\S+)`), "tuỳ chọn %s cần một giá trị"},
	{regexp.MustCompile(`^invalid argument ("[^"]*") for ("[^"]*") flag: (.*)`), "giá trị %s không hợp lệ cho tuỳ chọn %s: %s"},
	{regexp.MustCompile(`^bad flag syntax: (.*)`), "tuỳ chọn viết sai: %s"},
	{regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received (\d+)`), "lệnh nhận tối đa %s đối số, đã cho %s"},
	{regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)`), "lệnh nhận đúng %s đối số, đã cho %s"},
	{regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received (\d+)`), "lệnh cần ít nhất %s đối số, mới cho %s"},
	{regexp.MustCompile(`^accepts between (\d+) and (\d+) arg\(s\), received (\d+)`), "lệnh nhận từ %s đến %s đối số, đã cho %s"},
	{regexp.MustCompile(`^invalid argument ("[^"]*") for ("[^"]*")`), "đối số %s không hợp lệ cho %s"},
	{regexp.MustCompile(`^required flag\(s\) (.*) not set`), "thiếu tuỳ chọn bắt buộc %s"},
}

// cobraMessage recognises a message of cobra or pflag and gives it in
// both languages.
func cobraMessage(s string) (vi, en string, ok bool) {
	for _, m := range cobraMessages {
		sub := m.re.FindStringSubmatch(s)
		if sub == nil {
			continue
		}
		args := make([]any, len(sub)-1)
		for i, a := range sub[1:] {
			args[i] = a
		}
		// The suggestions ("Did you mean this?") follow on later lines.
		if i := strings.Index(s, "\n\nDid you mean this?\n"); i >= 0 {
			sugg := strings.Fields(s[i:])[4:]
			vi := fmt.Sprintf(m.vi, args...) + "; có phải ý là: " + strings.Join(sugg, ", ")
			return vi, strings.ReplaceAll(strings.TrimSpace(s), "\n", " "), true
		}
		return fmt.Sprintf(m.vi, args...), s, true
	}
	return "", "", false
}

// isCobraMistake says whether err is one of cobra's command-line mistakes.
func isCobraMistake(err error) bool {
	_, _, ok := cobraMessage(err.Error())
	return ok
}
