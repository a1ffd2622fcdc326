//go:build duckdb_arrow

package flight

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/protobuf/proto"
)

// dataCodec's FlightData, its body not copied, reads as proto's would
// give it, and leaves the FlightData as it was.
func TestDataCodecMarshalsFlightData(t *testing.T) {
	c := newDataCodec()
	for _, tc := range []struct {
		name string
		fd   *flight.FlightData
	}{
		{"small body", &flight.FlightData{DataHeader: []byte("header"), DataBody: []byte("body")}},
		{"large body", &flight.FlightData{DataHeader: bytes.Repeat([]byte("h"), 300), DataBody: bytes.Repeat([]byte("0123456789"), 100_000)}},
		{"descriptor and metadata", &flight.FlightData{
			FlightDescriptor: &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte("cmd")},
			DataHeader:       []byte("hh"), AppMetadata: []byte("meta"), DataBody: bytes.Repeat([]byte{7}, 70_000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.fd.DataBody
			data, err := c.Marshal(tc.fd)
			if err != nil {
				t.Fatal(err)
			}
			raw := data.Materialize()
			var got flight.FlightData
			if err := proto.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&got, tc.fd) {
				t.Fatal("the FlightData read differs from the one marshalled")
			}
			want, _ := proto.Marshal(tc.fd)
			if len(raw) != len(want) {
				t.Errorf("%d bytes, proto's %d", len(raw), len(want))
			}
			if len(body) >= 64<<10 && len(data) != 2 {
				t.Errorf("large body in %d buffers, want 2 (header, body as it is)", len(data))
			}
			if &tc.fd.DataBody[0] != &body[0] {
				t.Error("the FlightData's body was replaced")
			}
		})
	}
}

// A pooled body goes out whole, not copied, and comes back to its pool
// only when gRPC lets the buffer go; the next read reuses it.
func TestDataCodecGivesPooledBodiesBack(t *testing.T) {
	c := newDataCodec()
	var pool bodies
	body := pool.get(300 << 10)
	for i := range *body {
		(*body)[i] = byte(i)
	}
	fd := &flight.FlightData{DataHeader: []byte("h"), DataBody: *body}
	data, err := c.Marshal(&pooledData{fd: fd, body: body, pool: &pool})
	if err != nil {
		t.Fatal(err)
	}
	var got flight.FlightData
	if err := proto.Unmarshal(data.Materialize(), &got); err != nil || !proto.Equal(&got, fd) {
		t.Fatalf("the FlightData read differs (%v)", err)
	}
	if again := pool.get(300 << 10); &(*again)[0] == &(*body)[0] {
		t.Fatal("the body came back before gRPC let it go")
	}
	data.Free()
	if again := pool.get(300 << 10); &(*again)[0] != &(*body)[0] {
		t.Fatal("the body did not come back to its pool")
	}
}
