package schedules

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func testSource(url string) *Source {
	return &Source{Name: "s", URL: url, Timeout: Duration(2 * time.Second), Retries: 3, MaxBytes: 1 << 20,
		WindowDays: 30, DateLayout: "2006-01-02", Format: "auto"}
}

func testPuller(t *testing.T) *httpPuller {
	return &httpPuller{client: &http.Client{}, backoffBase: 5 * time.Millisecond, workDir: t.TempDir()}
}

const exportCSV = "Mã hồ sơ,Ngày tiếp nhận\nH01-240301-0001,01/03/2024\n"

func TestPullRetriesServerErrorsThenLoadsWholeBody(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sekret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("from") != "2024-02-01" || r.URL.Query().Get("to") != "2024-03-02" {
			http.Error(w, "bad window "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, exportCSV)
	}))
	defer srv.Close()
	t.Setenv("TOK", "sekret")
	src := testSource(srv.URL + "/export?from={from}&to={to}")
	src.TokenEnv = "TOK"
	from, to := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	f, err := testPuller(t).pull(context.Background(), src, from, to, nil)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || f.ETag != `"v1"` || !strings.HasSuffix(f.Path, ".csv") {
		t.Fatalf("calls %d, fetched %+v", calls.Load(), f)
	}
	b, _ := os.ReadFile(f.Path)
	if string(b) != exportCSV {
		t.Fatalf("body %q", b)
	}

	// Without the token: a permanent error that says what to check, no retries.
	t.Setenv("TOK", "wrong")
	calls.Store(0)
	_, err = testPuller(t).pull(context.Background(), src, from, to, nil)
	var se *HTTPStatusError
	if !errors.As(err, &se) || se.Status != 401 || !strings.Contains(err.Error(), "check the token in $TOK") {
		t.Fatalf("401: %v", err)
	}
}

func TestPullGivesUpAfterRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	src := testSource(srv.URL + "/x.csv")
	src.Retries = 2
	_, err := testPuller(t).pull(context.Background(), src, time.Now(), time.Now(), nil)
	if err == nil || calls.Load() != 3 || !strings.Contains(err.Error(), "502 Bad Gateway (after 3 tries)") {
		t.Fatalf("calls %d err %v", calls.Load(), err)
	}
}

func TestPullTimesOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	defer srv.Close()
	src := testSource(srv.URL + "/slow.csv")
	src.Timeout = Duration(100 * time.Millisecond)
	src.Retries = 1
	start := time.Now()
	_, err := testPuller(t).pull(context.Background(), src, time.Now(), time.Now(), nil)
	if err == nil || !strings.Contains(err.Error(), "after 2 tries") || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
}

// A body cut in the middle is never handed over, and nothing is left behind.
func TestPullRefusesATruncatedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, exportCSV[:20])
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	}))
	defer srv.Close()
	p := testPuller(t)
	src := testSource(srv.URL + "/x.csv")
	src.Retries = 1
	_, err := p.pull(context.Background(), src, time.Now(), time.Now(), nil)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("want ErrTruncated, got %v", err)
	}
	left, _ := os.ReadDir(p.workDir)
	if len(left) != 0 {
		t.Fatalf("work folder keeps %d files", len(left))
	}
}

func TestPullSizeLimitAndNotModified(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, strings.Repeat("x", 5000))
	}))
	defer srv.Close()
	src := testSource(srv.URL + "/x.csv")
	src.MaxBytes = 1000
	_, err := testPuller(t).pull(context.Background(), src, time.Now(), time.Now(), nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("size: %v", err)
	}
	f, err := testPuller(t).pull(context.Background(), src, time.Now(), time.Now(), &sourceState{ETag: `"v1"`})
	if err != nil || !f.Unchanged {
		t.Fatalf("304: %+v %v", f, err)
	}
}

func TestPullPages(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/pages", func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		switch page {
		case "1":
			fmt.Fprint(w, `{"data":{"items":[{"MaHoSo":"A-240301-0001","NgayTiepNhan":"20240301080000"},{"MaHoSo":"A-240301-0002","NgayTiepNhan":"20240301090000"}]}}`)
		case "2":
			fmt.Fprint(w, `{"data":{"items":[{"MaHoSo":"A-240302-0001","NgayTiepNhan":"20240302080000"}]}}`)
		default:
			fmt.Fprint(w, `{"data":{"items":[]}}`)
		}
	})
	mux.HandleFunc("/next", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"records":[{"code":"B-1"}],"links":{"next":"/next?cursor=2"}}`)
		case "2":
			fmt.Fprint(w, `{"records":[{"code":"B-2"},{"code":"B-3"}],"links":{"next":null}}`)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		path  string
		pg    Pagination
		lines int
	}{
		{"/pages", Pagination{Type: "page", Param: "page", Start: 1, MaxPages: 50}, 3},
		{"/next", Pagination{Type: "next", NextField: "links.next", MaxPages: 50}, 3},
	} {
		src := testSource(srv.URL + tc.path)
		pg := tc.pg
		src.Pagination = &pg
		f, err := testPuller(t).pull(context.Background(), src, time.Now(), time.Now(), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		b, _ := os.ReadFile(f.Path)
		if n := strings.Count(string(b), "\n"); n != tc.lines {
			t.Fatalf("%s: %d records:\n%s", tc.path, n, b)
		}
	}
}

func TestRedactHidesSecrets(t *testing.T) {
	got := redact("https://u:p@x.vn/e?token=abc&from=2024-01-01")
	if strings.Contains(got, "abc") || strings.Contains(got, "u:p") || !strings.Contains(got, "from=2024-01-01") {
		t.Fatal(got)
	}
}
