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

	"wardstat/internal/testkit/whtest"
	"wardstat/warehouse"
)

// handcountWarehouse is a warehouse holding the hand-counted ward export
// (14 dossiers); the JSON export (5 more) is left for a later load.
func handcountWarehouse(t *testing.T) (db, fx string) {
	t.Helper()
	t.Setenv("WARDSTAT_PII_KEY", "sql")
	db = whtest.Path(t)
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

// runaway runs for hours in constant memory: one streamed scan, no join
// (a cross join builds its right side in memory and may meet the 1 GiB
// cap before the Ctrl-C arrives).
const runaway = "SELECT count(*) FROM range(10000000000000) t(r) WHERE hash(r) = 0;\r"

// TestPromptHoldsNothingWhenIdleAndCtrlCStopsAStatement runs the
// interactive prompt on a real terminal (issue 14, items 7 and 9):
//   - an idle prompt holds no lock: a load in another process succeeds,
//     and the prompt's next statement sees it;
//   - Ctrl-C, and a SIGINT from elsewhere, stop the running statement and
//     the prompt goes on; a SIGINT while idle breaks nothing later;
//   - Ctrl-C while typing drops the statement being typed.
func TestPromptHoldsNothingWhenIdleAndCtrlCStopsAStatement(t *testing.T) {
	skipIfShort(t, "a prompt process left idle, then interrupted")
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
	// As a person types: the terminal turns Ctrl-C into a signal, which a
	// loaded machine may deliver after the next line's first bytes.
	time.Sleep(300 * time.Millisecond)
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

// TestSQLSandboxFromTheCommandLine: the sandbox's refusals and limits are
// one line each, in both languages, and after every attack no file beside
// the warehouse (its WAL and temp folder included) or elsewhere is made or
// changed.
func TestSQLSandboxFromTheCommandLine(t *testing.T) {
	db, _ := handcountWarehouse(t)
	dir := filepath.Dir(db)
	outside := t.TempDir()
	if err := os.MkdirAll(db+".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	before := filesUnder(t, dir, outside)
	for _, tc := range sqlAttacks(db, outside) {
		_, _, err := run(t, "--db", db, "--lang", tc.lang, "sql", tc.query)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", tc.query, err)
		}
	}
	began := time.Now()
	_, _, err := run(t, "--db", db, "--lang", "en", "sql", "--timeout", "300ms", strings.TrimSuffix(runaway, ";\r"))
	if err == nil || !strings.Contains(err.Error(), "ran longer than 300ms and was stopped") || !strings.Contains(err.Error(), "--timeout") {
		t.Errorf("runaway statement: %v", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the runaway statement stopped after %v", took)
	}
	if d := diffFiles(before, filesUnder(t, dir, outside)); len(d) > 0 {
		t.Errorf("wardstat sql made or changed files: %v", d)
	}
	// What reads still reads, and a MAP prints as JSON text.
	out := mustRun(t, "--db", db, "sql", "--format", "csv", "SELECT count(*) AS n, MAP {'online': 1, 'direct': 2} AS m FROM dossiers")
	if out != "n,m\n14,\"{\"\"online\"\": 1, \"\"direct\"\": 2}\"\n" {
		t.Errorf("csv: %q", out)
	}
}

// sqlAttack is a statement the sandbox must refuse, and the words of the
// refusal in its language.
type sqlAttack struct{ lang, query, want string }

// sqlAttacks are the attacks on wardstat sql's sandbox, for a warehouse
// at db and a folder outside it; the Flight SQL endpoint meets the same.
func sqlAttacks(db, outside string) []sqlAttack {
	return []sqlAttack{
		{"en", "COPY dossiers TO '" + db + ".wal'", "wardstat sql runs only statements that read"},
		{"vi", "COPY dossiers TO '" + db + ".tmp/out.csv'", "wardstat sql chỉ chạy câu lệnh đọc"},
		{"en", "EXPORT DATABASE '" + outside + "'", "are refused"},
		{"en", "ATTACH '" + filepath.Join(outside, "x.duckdb") + "'", "are refused"},
		{"en", "SET enable_external_access = true", "are refused"},
		{"en", "INSTALL httpfs", "are refused"},
		{"en", "SELECT * FROM read_text('/etc/passwd')", "the function read_text() is not allowed"},
		{"vi", "SELECT * FROM enable_logging(storage := 'file', storage_path := '" + outside + "')", "hàm enable_logging() không được dùng"},
		{"en", "SELECT 1; COPY dossiers TO '" + filepath.Join(outside, "o.csv") + "'", "are refused"},
		{"en", "SELECT 1; SELECT 2; COPY dossiers TO '" + filepath.Join(outside, "o.csv") + "'", "statement 3 of 3: wardstat sql runs only statements that read"},
	}
}

// filesUnder is every file under the folders with its content.
func filesUnder(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, root := range roots {
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				b, _ := os.ReadFile(p)
				files[p] = string(b)
			} else if err == nil {
				files[p] = "dir"
			}
			return nil
		})
	}
	return files
}

func diffFiles(before, after map[string]string) []string {
	var d []string
	for p, v := range after {
		if b, ok := before[p]; !ok || b != v {
			d = append(d, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			d = append(d, p+" (gone)")
		}
	}
	return d
}

// waitForLock waits until a process other than this one holds the
// warehouse, for reading or for writing as asked.
func waitForLock(t *testing.T, db string, writer bool) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if pid, w, err := warehouseLockHolder(db); err == nil && pid != 0 && pid != os.Getpid() && w == writer {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no process took the warehouse's lock (writer %v)", writer)
	return 0
}

// TestLoadWaitsForAReader: a statement running in another process holds
// the warehouse for reading; a load started meanwhile waits for it and
// succeeds, where it failed "in use" at once.
func TestLoadWaitsForAReader(t *testing.T) {
	skipIfShort(t, "waits on the warehouse lock")
	db, fx := handcountWarehouse(t)
	reader := cli("--db", db, "--lang", "en", "sql", "--timeout", "2s", strings.TrimSuffix(runaway, ";\r"))
	var readerOut bytes.Buffer
	reader.Stdout, reader.Stderr = &readerOut, &readerOut
	if err := reader.Start(); err != nil {
		t.Fatal(err)
	}
	defer reader.Process.Kill()
	waitForLock(t, db, false)
	began := time.Now()
	_, errOut, err := run(t, "--db", db, "--lang", "en", "ingest", filepath.Join(fx, "api-export.json"))
	if err != nil {
		t.Fatalf("the load while a statement runs elsewhere: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "is being read") {
		t.Errorf("no note that the load waited: %q", errOut)
	}
	t.Logf("the load waited %v for the reader", time.Since(began))
	reader.Wait()
	if !strings.Contains(readerOut.String(), "ran longer than 2s") {
		t.Errorf("the reader: %s", readerOut.String())
	}
	if out := mustRun(t, "--db", db, "sql", "--format", "csv", "SELECT count(*) AS n FROM dossiers"); out != "n\n19\n" {
		t.Errorf("after the load: %q", out)
	}
}

// TestReaderWaitsForALoad: while a load runs in another process and no
// snapshot is published, a reader waits for it (bounded) and then reads;
// past its wait it says in one line that a load is running and to retry.
func TestReaderWaitsForALoad(t *testing.T) {
	skipIfShort(t, "waits on the warehouse lock")
	db, _ := handcountWarehouse(t)
	big := filepath.Join(t.TempDir(), "big.csv")
	writeBigCSV(t, big, 60_000)
	load := cli("--db", db, "ingest", "--ward", "K01", big)
	var loadOut bytes.Buffer
	load.Stdout, load.Stderr = &loadOut, &loadOut
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	defer load.Process.Kill()
	pid := waitForLock(t, db, true)

	saved := readLockWait
	defer func() { readLockWait = saved }()
	readLockWait = 50 * time.Millisecond
	_, _, err := run(t, "--db", db, "--lang", "en", "sql", "SELECT count(*) FROM dossiers")
	want := fmt.Sprintf("is being loaded by another process (PID %d)", pid)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "run this again when the load has finished") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a reader past its wait: %v", err)
	}

	readLockWait = 60 * time.Second
	out, errOut, err := run(t, "--db", db, "--lang", "en", "sql", "--format", "csv", "SELECT count(*) AS n FROM dossiers")
	if err != nil {
		t.Fatalf("a reader waiting for the load: %v\n%s", err, errOut)
	}
	if err := load.Wait(); err != nil {
		t.Fatalf("the load: %v\n%s", err, loadOut.String())
	}
	if out != "n\n60014\n" {
		t.Errorf("the reader read %q, want the warehouse after the load", out)
	}
}

var warehouseLockHolder = warehouse.LockHolder
