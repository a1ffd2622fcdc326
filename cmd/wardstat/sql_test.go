package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// handcountWarehouse is a warehouse holding the hand-counted ward export
// (14 dossiers); the JSON export (5 more) is left for a later load.
func handcountWarehouse(t *testing.T) (db, fx string) {
	t.Helper()
	t.Setenv("WARDSTAT_PII_KEY", "sql")
	db = filepath.Join(t.TempDir(), "w.duckdb")
	fx, _ = filepath.Abs("../../testdata/report/handcount/")
	mustRun(t, "--db", db, "units", "import", filepath.Join(fx, "units.csv"))
	mustRun(t, "--db", db, "ingest", filepath.Join(fx, "ward-export.csv"))
	return db, fx
}

// cli is the wardstat command as a real process (the test binary, see TestMain).
func cli(args ...string) *exec.Cmd {
	self, _ := os.Executable()
	c := exec.Command(self, args...)
	c.Env = append(os.Environ(), "WARDSTAT_BE_CLI=1")
	return c
}

// terminal is a process run on a pseudo-terminal, its output collected.
type terminal struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	seen   int
}

func startOnTerminal(t *testing.T, c *exec.Cmd) *terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	term := &terminal{t: t, master: master, cmd: c}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
		master.Close()
	})
	return term
}

func (term *terminal) send(s string) {
	term.t.Helper()
	if _, err := term.master.WriteString(s); err != nil {
		term.t.Fatal(err)
	}
}

// expect waits for text in the output after what earlier expects saw
// (carriage returns left out: raw and normal modes write lines apart).
func (term *terminal) expect(text string, within time.Duration) {
	term.t.Helper()
	deadline := time.Now().Add(within)
	for {
		term.mu.Lock()
		all := strings.ReplaceAll(term.out.String(), "\r", "")
		term.mu.Unlock()
		if i := strings.Index(all[term.seen:], text); i >= 0 {
			term.seen += i + len(text)
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("no %q within %v; the terminal shows:\n%s", text, within, all[term.seen:])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const runaway = "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range < 0;\r"

// TestPromptHoldsNothingWhenIdleAndCtrlCStopsAStatement runs the
// interactive prompt on a real terminal (issue 14, items 7 and 9):
//   - an idle prompt holds no lock: a load in another process succeeds,
//     and the prompt's next statement sees it;
//   - Ctrl-C, and a SIGINT from elsewhere, stop the running statement and
//     the prompt goes on; a SIGINT while idle breaks nothing later;
//   - Ctrl-C while typing drops the statement being typed.
func TestPromptHoldsNothingWhenIdleAndCtrlCStopsAStatement(t *testing.T) {
	db, fx := handcountWarehouse(t)
	c := cli("--lang", "en", "--db", db, "sql", "--format", "csv")
	c.Env = append(c.Env, "HOME="+t.TempDir())
	term := startOnTerminal(t, c)
	term.expect("Read-only warehouse", 10*time.Second)
	term.send("SELECT count(*) AS n FROM dossiers;\r")
	term.expect("\n14\n(1 rows)", 10*time.Second)

	// The prompt is idle: the night's load runs in another process.
	load := cli("--db", db, "--lang", "en", "ingest", filepath.Join(fx, "api-export.json"))
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("a load while the prompt is idle: %v\n%s", err, out)
	}
	term.send("SELECT count(*) AS n FROM dossiers;\r")
	term.expect("\n19\n(1 rows)", 10*time.Second)

	// Ctrl-C stops a runaway statement; the prompt goes on.
	term.send(runaway)
	time.Sleep(700 * time.Millisecond)
	began := time.Now()
	term.send("\x03")
	term.expect("the statement was cancelled (Ctrl-C)", 10*time.Second)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Ctrl-C took %v to stop the statement", took)
	}
	term.send("SELECT 42 AS answer;\r")
	term.expect("\n42\n(1 rows)", 10*time.Second)

	// A SIGINT from another process does the same.
	term.send(runaway)
	time.Sleep(700 * time.Millisecond)
	c.Process.Signal(syscall.SIGINT)
	term.expect("the statement was cancelled (Ctrl-C)", 10*time.Second)
	// ... and one while idle cancels nothing later.
	c.Process.Signal(syscall.SIGINT)
	time.Sleep(200 * time.Millisecond)
	term.send("SELECT 43 AS x;\r")
	term.expect("\n43\n(1 rows)", 10*time.Second)

	// Ctrl-C while typing drops the unfinished statement.
	term.send("SELECT 1 AS y\r")
	term.send("\x03")
	term.send("SELECT 44 AS y;\r")
	term.expect("\n44\n(1 rows)", 10*time.Second)

	term.send("\\q\r")
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the prompt ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt did not end on \\q")
	}
}
