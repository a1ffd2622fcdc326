package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// compoundFile writes a minimal compound file (512-byte sectors: one FAT
// sector, one directory sector) whose Workbook stream is stream.
func compoundFile(t *testing.T, stream []byte) []byte {
	t.Helper()
	const sector = 512
	le := binary.LittleEndian
	streamSectors := (len(stream) + sector - 1) / sector
	if 2+streamSectors > 128 {
		t.Fatalf("a stream of %d sectors needs more than one FAT sector", streamSectors)
	}
	hdr := make([]byte, sector)
	copy(hdr, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(hdr[0x18:], 0x3E)
	le.PutUint16(hdr[0x1A:], 3)
	le.PutUint16(hdr[0x1C:], 0xFFFE)
	le.PutUint16(hdr[0x1E:], 9)
	le.PutUint16(hdr[0x20:], 6)
	le.PutUint32(hdr[0x2C:], 1)          // FAT sectors
	le.PutUint32(hdr[0x30:], 1)          // first directory sector
	le.PutUint32(hdr[0x38:], 4096)       // mini stream cutoff
	le.PutUint32(hdr[0x3C:], 0xFFFFFFFE) // no mini FAT
	le.PutUint32(hdr[0x44:], 0xFFFFFFFE) // no DIFAT
	for i := 0; i < 109; i++ {
		le.PutUint32(hdr[0x4C+4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(hdr[0x4C:], 0) // the FAT is sector 0
	fat := make([]byte, sector)
	for i := 0; i < 128; i++ {
		le.PutUint32(fat[4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(fat[0:], 0xFFFFFFFD) // the FAT's own sector
	le.PutUint32(fat[4:], 0xFFFFFFFE) // the directory: one sector
	for i := 0; i < streamSectors; i++ {
		next := uint32(3 + i)
		if i == streamSectors-1 {
			next = 0xFFFFFFFE
		}
		le.PutUint32(fat[4*(2+i):], next)
	}
	dir := make([]byte, sector)
	entry := func(at int, name string, kind byte, start uint32, size uint32) {
		e := dir[at : at+128]
		for i, r := range name + "\x00" {
			le.PutUint16(e[2*i:], uint16(r))
		}
		le.PutUint16(e[0x40:], uint16(2*(len(name)+1)))
		e[0x42] = kind
		le.PutUint32(e[0x44:], 0xFFFFFFFF)
		le.PutUint32(e[0x48:], 0xFFFFFFFF)
		le.PutUint32(e[0x4C:], 0xFFFFFFFF)
		le.PutUint32(e[0x74:], start)
		le.PutUint32(e[0x78:], size)
	}
	entry(0, "Root Entry", 5, 0xFFFFFFFE, 0)
	le.PutUint32(dir[0x4C:], 1) // the root's child: the workbook
	entry(128, "Workbook", 2, 2, uint32(len(stream)))
	body := make([]byte, streamSectors*sector)
	copy(body, stream)
	return bytes.Join([][]byte{hdr, fat, dir, body}, nil)
}

// TestXLSCellBombIsRefused: a small .xls whose rows are runs of blank
// cells (MULBLANK: 2 bytes a cell) is refused before its decoder holds
// every cell (~550 bytes each: a 34 MB file could ask for 8 GB). The
// limit is lowered to 10,000 cells; the file holds 12,800 in 26 KB.
func TestXLSCellBombIsRefused(t *testing.T) {
	defer func(n int64) { maxXLSCells = n }(maxXLSCells)
	maxXLSCells = 10_000
	le := binary.LittleEndian
	var stream bytes.Buffer
	record := func(kind uint16, data []byte) {
		var h [4]byte
		le.PutUint16(h[:], kind)
		le.PutUint16(h[2:], uint16(len(data)))
		stream.Write(h[:])
		stream.Write(data)
	}
	bof := func(dt uint16) []byte {
		b := make([]byte, 16)
		le.PutUint16(b[0:], 0x0600)
		le.PutUint16(b[2:], dt)
		le.PutUint16(b[4:], 0x0DBB)
		le.PutUint16(b[6:], 0x07CC)
		return b
	}
	// The globals: one worksheet, "Sheet1", whose BOF follows them.
	record(0x0809, bof(0x0005))
	sheetName := []byte{6, 0, 'S', 'h', 'e', 'e', 't', '1'}
	boundsheet := make([]byte, 6, 6+len(sheetName))
	boundsheet = append(boundsheet, sheetName...)
	at := stream.Len()
	record(0x0085, boundsheet)
	record(0x000A, nil)
	le.PutUint32(stream.Bytes()[at+4:], uint32(stream.Len()))
	// The sheet: 50 rows of 256 blank cells.
	const rows = 50
	record(0x0809, bof(0x0010))
	dim := make([]byte, 14)
	le.PutUint32(dim[4:], rows)
	le.PutUint16(dim[10:], 256)
	record(0x0200, dim)
	for row := 0; row < rows; row++ {
		data := make([]byte, 6+2*256)
		le.PutUint16(data[0:], uint16(row))
		le.PutUint16(data[4+2*256:], 255)
		record(0x00BE, data) // MULBLANK: 256 blank cells
	}
	record(0x000A, nil)
	path := filepath.Join(t.TempDir(), "bomb.xls")
	os.WriteFile(path, compoundFile(t, stream.Bytes()), 0o644)
	_, err := OpenXLS(path, "", nil)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "holds over 10000 cells") {
		t.Fatalf("err = %v, want the cell limit named", err)
	}
	// The count is of real cells: the 400-dossier workbook passes at the
	// default and is refused under its own size.
	if r, err := OpenXLS("../testdata/ingest/dossiers-400.xls", "", nil); err != nil {
		t.Fatalf("a workbook within the limit: %v", err)
	} else {
		r.Close()
	}
	maxXLSCells = 400
	if _, err := OpenXLS("../testdata/ingest/dossiers-400.xls", "", nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("400 dossiers under a limit of 400 cells: err = %v", err)
	}
}
