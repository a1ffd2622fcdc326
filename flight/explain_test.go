//go:build duckdb_arrow

package flight

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A statement out of memory is ResourceExhausted in Flight SQL's words,
// with the statement's own limit, never `wardstat sql`'s InvalidArgument.
func TestExplainOutOfMemory(t *testing.T) {
	s := &server{o: Options{Lang: "en", Workers: &Workers{DataLimit: 448 << 20},
		Explain: func(error) error {
			return errors.New("the statement needed more memory than wardstat sql allows (1 GiB) and was stopped")
		}}}
	s.base = context.Background()
	ctx := context.Background()
	for _, text := range []string{
		"Out of Memory Error: failed to allocate data of size 64.0 MiB (150.0 MiB/152.5 MiB used)",
		"IO Error: Could not read: Cannot allocate memory",
	} {
		st, _ := status.FromError(s.explain(ctx, ctx, errors.New(text)))
		if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "Flight SQL statement may use (448 MB)") || strings.Contains(st.Message(), "wardstat sql") {
			t.Errorf("%s: %v %q", text, st.Code(), st.Message())
		}
	}
}
