package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/term"
)

// fileHistory is the prompt's history, kept in a file between sessions.
type fileHistory struct {
	entries []string // oldest first
	path    string
}

func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	// Statements can name wards, dossiers and people: the file is the
	// user's only, whatever mode an older wardstat or an editor left it in.
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(path, 0o600)
	}
	if b, err := os.ReadFile(path); err == nil {
		h.entries = historyEntries(string(b))
	}
	return h
}

// Add is called by the terminal for every line typed; the prompt records
// whole statements instead (record), so that an arrow recalls a statement.
func (h *fileHistory) Add(string) {}

// record keeps a finished statement with its lines, so that recalling it
// runs the same statement (historyLines).
func (h *fileHistory) record(entry string) {
	entry = strings.TrimSpace(entry)
	if entry == "" || (len(h.entries) > 0 && h.entries[len(h.entries)-1] == entry) {
		return
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > 1000 {
		h.entries = h.entries[len(h.entries)-1000:]
	}
	if h.path != "" {
		lines := make([]string, len(h.entries))
		for i, e := range h.entries {
			lines[i] = historyLines(e)
		}
		_ = os.WriteFile(h.path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		_ = os.Chmod(h.path, 0o600) // WriteFile sets the mode only on creation
	}
}

func (h *fileHistory) Len() int { return len(h.entries) }

func (h *fileHistory) At(i int) string { return h.entries[len(h.entries)-1-i] }

// runPrompt is `wardstat sql` with no query on a terminal: statements end
// with ';', arrows recall the history (~/.wardstat_history), \d lists
// the tables, \q or Ctrl-D leaves.
//
// Each statement opens the warehouse and closes it when done, so an idle
// prompt holds no lock and a load can start meanwhile. While a statement
// runs the terminal is back in its normal mode, where Ctrl-C is a SIGINT:
// it cancels that statement and the prompt goes on; so does a SIGINT sent
// from elsewhere. The statements' context does not inherit the command's,
// which a SIGINT cancels for good. A SIGTERM ends the prompt. At the
// prompt itself, Ctrl-C drops the statement being typed.
func (a *app) runPrompt(ctx context.Context, format string, lim sqlLimits) error {
	fd := int(os.Stdin.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return err
	}
	defer term.Restore(fd, state)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var running atomic.Bool
	quit := make(chan struct{})
	var stmtCancel atomic.Pointer[context.CancelFunc]
	go func() {
		for {
			select {
			case <-quit:
				return
			case s := <-sigs:
				if s == syscall.SIGTERM && !running.Load() {
					// Idle at the prompt: leave the terminal as it was and
					// end the way SIGTERM ends a process.
					term.Restore(fd, state)
					signal.Reset(syscall.SIGTERM)
					syscall.Kill(os.Getpid(), syscall.SIGTERM)
					return
				}
				if c := stmtCancel.Load(); c != nil && running.Load() {
					(*c)()
				}
				if s == syscall.SIGTERM {
					close(quit)
					return
				}
			}
		}
	}()
	defer func() {
		select {
		case <-quit:
		default:
			close(quit)
		}
	}()
	base := context.WithoutCancel(ctx)

	var ctrlC atomic.Bool
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{ctrlCReader{os.Stdin, &ctrlC}, os.Stdout}, "wardstat> ")
	home, _ := os.UserHomeDir()
	hist := loadHistory(filepath.Join(home, ".wardstat_history"))
	t.History = hist
	if width, height, err := term.GetSize(fd); err == nil {
		t.SetSize(width, height)
	}
	fmt.Fprint(t, a.t("Kho chỉ đọc. Kết thúc câu lệnh bằng ';'. Ctrl-C dừng câu lệnh đang chạy. \\d: danh sách bảng, \\q: thoát.\r\n",
		"Read-only warehouse. End statements with ';'. Ctrl-C stops the running statement. \\d lists the tables, \\q quits.\r\n"))
	var stmt strings.Builder
	for {
		line, err := t.ReadLine()
		if ctrlC.Swap(false) {
			stmt.Reset()
			t.SetPrompt("wardstat> ")
			continue
		}
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
		if stmt.Len() > maxQueryBytes {
			fmt.Fprintf(t, "%s\r\n", a.errQueryTooLong(stmt.Len()))
			stmt.Reset()
			t.SetPrompt("wardstat> ")
			continue
		}
		if !statementComplete(stmt.String()) {
			t.SetPrompt("      -> ")
			continue
		}
		t.SetPrompt("wardstat> ")
		q := stmt.String()
		stmt.Reset()

		// The statement runs with the terminal in its normal mode.
		term.Restore(fd, state)
		for len(sigs) > 0 { // a SIGINT that came while idle cancels nothing
			<-sigs
		}
		stCtx, cancel := context.WithCancel(base)
		stmtCancel.Store(&cancel)
		running.Store(true)
		err = a.runStatements(stCtx, os.Stdout, q, format, lim, func(n int) {
			fmt.Fprintf(os.Stdout, a.t("(%d dòng)\n", "(%d rows)\n"), n)
		})
		running.Store(false)
		stmtCancel.Store(nil)
		cancel()
		var refused refusedError
		if !errors.As(err, &refused) {
			// A refused statement stays out of the history.
			hist.record(q)
		}
		var abandoned *abandonedError
		if errors.As(err, &abandoned) {
			// The statement still runs and holds the warehouse: only the
			// end of the process stops it (main says why).
			return err
		}
		if err != nil {
			fmt.Fprintf(os.Stdout, "%s\n", errorLine(err, a.lang))
		}
		select {
		case <-quit:
			return nil
		default:
		}
		if _, err := term.MakeRaw(fd); err != nil {
			return err
		}
	}
}

// ctrlCReader hands the prompt's keys to the terminal, a Ctrl-C as Enter
// with a mark: term.Terminal would end the prompt on it (as on Ctrl-D),
// where it should only drop the statement being typed.
type ctrlCReader struct {
	r   io.Reader
	hit *atomic.Bool
}

func (c ctrlCReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == 3 {
			p[i] = '\r'
			c.hit.Store(true)
		}
	}
	return n, err
}
