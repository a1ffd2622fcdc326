package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"wardstat/render"
	"wardstat/warehouse"
)

// fileHistory is the prompt's history, kept in a file between sessions.
type fileHistory struct {
	entries []string // oldest first
	path    string
}

func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	if b, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) != "" {
				h.entries = append(h.entries, line)
			}
		}
	}
	return h
}

// Add is called by the terminal for every line typed; the prompt records
// whole statements instead (record), so that an arrow recalls a statement.
func (h *fileHistory) Add(string) {}

// record keeps a finished statement, on one line.
func (h *fileHistory) record(entry string) {
	entry = strings.Join(strings.Fields(entry), " ")
	if entry == "" || (len(h.entries) > 0 && h.entries[len(h.entries)-1] == entry) {
		return
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > 1000 {
		h.entries = h.entries[len(h.entries)-1000:]
	}
	if h.path != "" {
		_ = os.WriteFile(h.path, []byte(strings.Join(h.entries, "\n")+"\n"), 0o600)
	}
}

func (h *fileHistory) Len() int { return len(h.entries) }

func (h *fileHistory) At(i int) string { return h.entries[len(h.entries)-1-i] }

// runPrompt is `wardstat sql` with no query on a terminal: statements end
// with ';', arrows recall the history (~/.wardstat_history), \d lists
// the tables, \q or Ctrl-D leaves.
func (a *app) runPrompt(ctx context.Context, w *warehouse.Warehouse, format string) error {
	fd := int(os.Stdin.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return err
	}
	defer term.Restore(fd, state)
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{os.Stdin, os.Stdout}, "wardstat> ")
	home, _ := os.UserHomeDir()
	hist := loadHistory(filepath.Join(home, ".wardstat_history"))
	t.History = hist
	if width, height, err := term.GetSize(fd); err == nil {
		t.SetSize(width, height)
	}
	fmt.Fprint(t, a.t("Kho chỉ đọc. Kết thúc câu lệnh bằng ';'. \\d: danh sách bảng, \\q: thoát.\r\n",
		"Read-only warehouse. End statements with ';'. \\d lists the tables, \\q quits.\r\n"))
	var stmt strings.Builder
	for {
		line, err := t.ReadLine()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case stmt.Len() == 0 && (trimmed == `\q` || trimmed == "exit" || trimmed == "quit"):
			return nil
		case stmt.Len() == 0 && trimmed == `\d`:
			trimmed = "SELECT name, kind FROM (SELECT table_name AS name, table_type AS kind FROM information_schema.tables WHERE table_schema = 'main') ORDER BY name;"
		case trimmed == "":
			continue
		}
		stmt.WriteString(trimmed + "\n")
		if !strings.HasSuffix(trimmed, ";") {
			t.SetPrompt("      -> ")
			continue
		}
		t.SetPrompt("wardstat> ")
		q := stmt.String()
		stmt.Reset()
		hist.record(q)
		rows, err := w.DB().QueryContext(ctx, q)
		if err != nil {
			fmt.Fprintf(t, "%s\r\n", strings.ReplaceAll(err.Error(), "\n", "\r\n"))
			continue
		}
		res, err := render.FromRows(rows)
		if err != nil {
			fmt.Fprintf(t, "%s\r\n", err)
			continue
		}
		var b strings.Builder
		render.Write(&b, res, format, "")
		fmt.Fprint(t, strings.ReplaceAll(b.String(), "\n", "\r\n"))
		fmt.Fprintf(t, a.t("(%d dòng)\r\n", "(%d rows)\r\n"), len(res.Rows))
	}
}
