//go:build duckdb_arrow

package flight

import (
	"bytes"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// chanStream is a flight data stream read from FlightData already made.
type chanStream struct{ fds []*flight.FlightData }

func (c *chanStream) Recv() (*flight.FlightData, error) {
	if len(c.fds) == 0 {
		return nil, io.EOF
	}
	fd := c.fds[0]
	c.fds = c.fds[1:]
	return fd, nil
}

// An IPC stream cut by ipcMessages gives the schema, then each batch with
// its rows read from its metadata, and its FlightData read by arrow-go's
// Flight reader give the same batches back.
func TestIPCMessagesAsFlightData(t *testing.T) {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	var buf bytes.Buffer
	wr := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	sizes := []int{3, 0, 2048, 1}
	for b, n := range sizes {
		ib := array.NewInt64Builder(mem)
		sb := array.NewStringBuilder(mem)
		for i := 0; i < n; i++ {
			ib.Append(int64(b*10_000 + i))
			if i%7 == 0 {
				sb.AppendNull()
			} else {
				sb.Append(string(rune('a' + i%26)))
			}
		}
		rec := array.NewRecordBatch(schema, []arrow.Array{ib.NewArray(), sb.NewArray()}, int64(n))
		if err := wr.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	want := buf.Bytes()

	msgs := &ipcMessages{r: bytes.NewReader(want)}
	var fds []*flight.FlightData
	var kinds []byte
	var rows []int64
	for {
		fd, info, err := msgs.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fds, kinds, rows = append(fds, fd), append(kinds, info.kind), append(rows, info.rows)
	}
	if len(fds) != 1+len(sizes) || kinds[0] != msgSchema {
		t.Fatalf("%d messages, kinds %v: want the schema, then %d batches", len(fds), kinds, len(sizes))
	}
	for i, n := range sizes {
		if kinds[i+1] != msgRecordBatch || rows[i+1] != int64(n) {
			t.Errorf("batch %d: kind %d, %d rows; want %d rows", i, kinds[i+1], rows[i+1], n)
		}
	}

	rdr, err := flight.NewRecordReader(&chanStream{fds: fds})
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	orig, err := ipc.NewReader(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Release()
	for orig.Next() {
		if !rdr.Next() {
			t.Fatalf("the Flight data ended early: %v", rdr.Err())
		}
		if !array.RecordEqual(orig.RecordBatch(), rdr.RecordBatch()) {
			t.Errorf("a batch differs:\n%v\n%v", orig.RecordBatch(), rdr.RecordBatch())
		}
	}
	if rdr.Next() {
		t.Error("more batches than were written")
	}

	// A stream cut short is an error, not its end.
	msgs = &ipcMessages{r: bytes.NewReader(want[:len(want)/2])}
	var last error
	for last == nil {
		_, _, last = msgs.next()
	}
	if last == io.EOF {
		t.Error("a stream cut in half ends without an error")
	}
}
