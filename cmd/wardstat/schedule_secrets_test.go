package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// `run --source a` needs a's token only, not every source's (#15 item 5's
// rule for status, applied to the pulls): b's unset token does not stop
// a's pull, and a's own missing token is refused in the reader's language.
// `retries: 0` means no retry: a source whose server answers 500 is asked
// once (it was asked four times, 0 read as "not given", default 3).
func TestRunNeedsOnlyThePulledSourcesTokensAndRetriesZero(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "wardstat.yml")
	os.WriteFile(cfg, []byte(`warehouse: w.duckdb
pii_key_env: WARDSTAT_TEST_RUN_KEY
sources:
  - name: a
    ward: H01.01
    url: `+srv.URL+`/export
    token_env: WARDSTAT_TEST_RUN_TOKEN_A
    retries: 0
    timeout: 5s
    schedule: "0 1 * * *"
  - name: b
    ward: H01.02
    url: `+srv.URL+`/other
    token_env: WARDSTAT_TEST_RUN_TOKEN_B
    schedule: "0 1 * * *"
`), 0o644)
	t.Setenv("WARDSTAT_TEST_RUN_KEY", "k")
	t.Setenv("WARDSTAT_TEST_RUN_TOKEN_A", "ta")
	t.Setenv("WARDSTAT_TEST_RUN_TOKEN_B", "")

	_, errOut, err := run(t, "--lang", "en", "run", "--config", cfg, "--source", "a")
	if err == nil {
		t.Fatal("a pull from a server that answers 500 succeeded")
	}
	if strings.Contains(err.Error()+errOut, "WARDSTAT_TEST_RUN_TOKEN_B") {
		t.Errorf("pulling a refused for b's token: %v\n%s", err, errOut)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("retries: 0, yet the server was asked %d times", n)
	}

	// b's own pull needs b's token: refused before anything is asked, in
	// Vietnamese by default, naming the file's line and the variable.
	hits.Store(0)
	_, _, err = run(t, "run", "--config", cfg, "--source", "b")
	if err == nil || hits.Load() != 0 {
		t.Fatalf("b's pull without its token: err %v, %d requests", err, hits.Load())
	}
	if got, want := errorLine(err, "vi"), cfg+": dòng 14: sources[1].token_env: biến môi trường WARDSTAT_TEST_RUN_TOKEN_B chưa được đặt"; !strings.Contains(got, want) {
		t.Errorf("refusal:\n%s\nwant it to contain\n%s", got, want)
	}
	if strings.Contains(errorLine(err, "vi"), "TOKEN_A") {
		t.Errorf("b's refusal names a's token: %v", err)
	}
}
