//go:build duckdb_arrow

package flight

import (
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// dataCodec is gRPC's proto codec, except that a FlightData is marshalled
// without copying its body: its other fields, then the body's tag and
// length, make a small first buffer, and the body itself goes as the
// second (gRPC writes the buffers of a message one after the other). A
// batch's body (most of a result's bytes) is so copied once less on its
// way to the socket. The body is only read: a FlightData shared by the
// followers of a run is sent to each as it is.
type dataCodec struct{ proto encoding.CodecV2 }

func newDataCodec() dataCodec { return dataCodec{encoding.GetCodecV2("proto")} }

// bodyField is FlightData's data_body field (Flight.proto).
const bodyField = 1000

func (c dataCodec) Marshal(v any) (mem.BufferSlice, error) {
	fd, ok := v.(*flight.FlightData)
	if !ok || len(fd.DataBody) < 64<<10 {
		return c.proto.Marshal(v)
	}
	rest := flight.FlightData{FlightDescriptor: fd.FlightDescriptor, DataHeader: fd.DataHeader, AppMetadata: fd.AppMetadata}
	head, err := proto.MarshalOptions{}.MarshalAppend(make([]byte, 0, proto.Size(&rest)+16), &rest)
	if err != nil {
		return nil, err
	}
	head = protowire.AppendTag(head, bodyField, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(len(fd.DataBody)))
	return mem.BufferSlice{mem.SliceBuffer(head), mem.SliceBuffer(fd.DataBody)}, nil
}

func (c dataCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

func (c dataCodec) Name() string { return c.proto.Name() }
