//go:build duckdb_arrow

package flight

import (
	"sync"

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
	var pooled *pooledData
	if p, ok := v.(*pooledData); ok {
		pooled, v = p, p.fd
	}
	fd, ok := v.(*flight.FlightData)
	if !ok || len(fd.DataBody) < 64<<10 {
		if pooled != nil {
			defer pooled.pool.put(pooled.body)
		}
		return c.proto.Marshal(v)
	}
	rest := flight.FlightData{FlightDescriptor: fd.FlightDescriptor, DataHeader: fd.DataHeader, AppMetadata: fd.AppMetadata}
	head, err := proto.MarshalOptions{}.MarshalAppend(make([]byte, 0, proto.Size(&rest)+16), &rest)
	if err != nil {
		return nil, err
	}
	head = protowire.AppendTag(head, bodyField, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(len(fd.DataBody)))
	var body mem.Buffer = mem.SliceBuffer(fd.DataBody)
	if pooled != nil {
		// Given back to the pool when gRPC has written it.
		body = mem.NewBuffer(pooled.body, pooled.pool)
	}
	return mem.BufferSlice{mem.SliceBuffer(head), body}, nil
}

// pooledData is a FlightData whose body is body, from pool: sent with
// SendMsg, its body goes back to the pool once written.
type pooledData struct {
	fd   *flight.FlightData
	body *[]byte
	pool *bodies
}

func (c dataCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

func (c dataCodec) Name() string { return c.proto.Name() }

// pooledBody is the smallest body read from a worker into a pooled buffer.
const pooledBody = 256 << 10

// bodies keeps the buffers of the batches read from workers, for the
// next: the server's reads go to memory already in use (no fresh pages
// to fault in, less garbage). A buffer comes back when gRPC has written
// its batch; the pool keeps up to maxPooledBodies bytes of them (sizes
// are powers of two).
type bodies struct {
	mu    sync.Mutex
	free  map[int][]*[]byte
	bytes int
}

// maxPooledBodies bounds what the pool keeps between batches.
const maxPooledBodies = 16 << 20

func (b *bodies) get(size int) *[]byte {
	c := recycleClass(size)
	b.mu.Lock()
	if l := b.free[c]; len(l) > 0 {
		p := l[len(l)-1]
		b.free[c] = l[:len(l)-1]
		b.bytes -= c
		b.mu.Unlock()
		*p = (*p)[:size]
		return p
	}
	b.mu.Unlock()
	s := make([]byte, size, c)
	return &s
}

// Get and Put make bodies gRPC's mem.BufferPool (Put is what gRPC calls).
func (b *bodies) Get(size int) *[]byte { return b.get(size) }

func (b *bodies) Put(p *[]byte) { b.put(p) }

func (b *bodies) put(p *[]byte) {
	c := cap(*p)
	if c&(c-1) != 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.free == nil {
		b.free = map[int][]*[]byte{}
	}
	if b.bytes+c <= maxPooledBodies {
		b.free[c] = append(b.free[c], p)
		b.bytes += c
	}
}
