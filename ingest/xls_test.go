package ingest_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wardstat/ingest"
	"wardstat/transform"
)

// A damaged workbook is refused with a clear line, at once: a sector chain
// that loops made the decoder read forever, a cut file made it panic.
func TestDamagedXLSIsRefused(t *testing.T) {
	good, err := os.ReadFile("../testdata/ingest/dossiers-400.xls")
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	looped := append([]byte(nil), good...)
	// The directory's first sector points back to itself in the FAT.
	dir := le.Uint32(looped[0x30:])
	fat := int64(le.Uint32(looped[0x4C+4*(dir/128):])+1) * 512 // 512-byte sectors, 128 entries each
	le.PutUint32(looped[fat+4*int64(dir%128):], dir)
	huge := append([]byte(nil), good...)
	le.PutUint32(huge[0x2C:], 1<<30) // FAT sectors
	for name, data := range map[string][]byte{
		"looped": looped, "cut": good[:len(good)/2], "huge": huge,
		"header only": good[:512], "garbage": append(append([]byte(nil), good[:8]...), make([]byte, 2000)...),
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "damaged.xls")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				r, err := ingest.OpenXLS(p, "", transform.ScoreHeader)
				if err == nil {
					r.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("a damaged workbook was read")
				}
				if !strings.Contains(err.Error(), "save it as .xlsx") {
					t.Errorf("error without advice: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("reading a damaged workbook did not end")
			}
		})
	}
	// A workbook with a password is another compound file, with no
	// workbook stream in it.
	if _, err := ingest.OpenXLS("../testdata/ingest/html-table.xls", "", nil); err == nil {
		t.Error("an HTML file was read as a binary workbook")
	}
}
