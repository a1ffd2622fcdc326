//go:build duckdb_arrow

package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"

	"wardstat/internal/testkit"
)

// A token set with a trailing newline is the token without it; one that
// cannot be sent in a Bearer header is refused at start, in one line.
func TestFlightTokenFromTheEnvironment(t *testing.T) {
	db, _ := handcountWarehouse(t)
	c := cli("--db", db, "flight", "--addr", "127.0.0.1:0")
	c.Env = append(c.Env, "WARDSTAT_FLIGHT_TOKEN="+flightToken+"\n")
	logs := &testkit.LockedBuffer{}
	c.Stderr = logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	addrRE := regexp.MustCompile(`msg="flight sql listening" addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("wardstat flight did not listen:\n%s", logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := flightRows(bearer(ctx, flightToken), flightClient(t, addr), "SELECT 1"); err != nil {
		t.Fatalf("the token without its newline: %v", err)
	}
	for _, bad := range []string{"mã-bí-mật-của-phòng-thống-kê-2026", "0123456789abcdef\x01tail"} {
		c := cli("--db", db, "flight", "--addr", "127.0.0.1:0")
		c.Env = append(c.Env, "WARDSTAT_FLIGHT_TOKEN="+bad)
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = c.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			c.Process.Kill()
			<-done
			t.Fatalf("wardstat flight started with the token %q", bad)
		}
		text := strings.TrimSpace(string(out))
		if err == nil || strings.Count(text, "\n") != 0 || !strings.Contains(text, "Bearer") || strings.Contains(text, bad) {
			t.Errorf("token %q: %v\n%s", bad, err, text)
		}
	}
}

// flight --help says how to connect and that tokens are read at start, in
// Vietnamese by default and in English.
func TestFlightHelpSaysHowToConnect(t *testing.T) {
	for lang, want := range map[string][]string{
		"vi": {"grpc://HOST:CỔNG", "grpc+tls://", "khởi động lại để thêm hay thu hồi"},
		"en": {"grpc://HOST:PORT", "grpc+tls://", "restart the endpoint to add or revoke"},
	} {
		c := cli("--lang", lang, "flight", "--help")
		out, err := c.CombinedOutput()
		for _, w := range want {
			if err != nil || !strings.Contains(string(out), w) {
				t.Errorf("flight --help (%s) does not say %q: %v", lang, w, err)
			}
		}
	}
}

// A prepared statement given the wrong number of values is refused with
// how many it needs.
func TestFlightSaysHowManyParameters(t *testing.T) {
	db, _ := handcountWarehouse(t)
	addr, _, _ := startFlight(t, "--db", db, "--lang", "en")
	c := flightClient(t, addr)
	ctx, cancel := context.WithTimeout(bearer(context.Background(), flightToken), 30*time.Second)
	defer cancel()
	stmt, err := c.Prepare(ctx, "SELECT ?::INT + ?::INT AS n")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close(ctx)
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil))
	defer b.Release()
	b.Field(0).(*array.Int64Builder).Append(1)
	params := b.NewRecordBatch()
	defer params.Release()
	stmt.SetParameters(params)
	info, err := stmt.Execute(ctx)
	if err == nil {
		_, _, err = readInfo(ctx, c, info)
	}
	if codeOf(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "the statement has 2 parameters (? marks) but the client sent 1 values") {
		t.Fatalf("one value for two parameters: %v", err)
	}
}

// The flight command's messages name its flags, not the flight: section's
// keys.
func TestFlightMessagesNameTheFlags(t *testing.T) {
	db, _ := handcountWarehouse(t)
	c := cli("--db", db, "--lang", "en", "flight", "--addr", "127.0.0.1:0", "--tls-cert", "cert.pem")
	c.Env = append(c.Env, "WARDSTAT_FLIGHT_TOKEN="+flightToken)
	out, err := c.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "give both --tls-cert and --tls-key") || strings.Contains(string(out), "tls_cert") {
		t.Errorf("--tls-cert alone: %v\n%s", err, out)
	}
	c = cli("--db", db, "--lang", "en", "flight", "--addr", "127.0.0.1:0")
	c.Env = append(c.Env, "WARDSTAT_FLIGHT_TOKEN=")
	out, err = c.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "give --tokens-file") {
		t.Errorf("no token: %v\n%s", err, out)
	}
}
